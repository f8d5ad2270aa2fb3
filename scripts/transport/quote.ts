/**
 * POSIX shell quoting (dash, busybox sh, bash, zsh in sh mode).
 *
 * Only single quotes are used: inside '...' every byte is literal, and an embedded
 * single quote is written as '\'' (close, escaped quote, reopen). Words made only of
 * characters that are never special to a POSIX shell are left bare for readability.
 * zx's quote() emits bash-only $'...' and must not be used for remote commands.
 */

const SAFE_WORD = /^[A-Za-z0-9_\-+=/:.,@%^]+$/;

/** Quote one argument so that a POSIX shell reads it back as exactly one word, unchanged. */
export function shQuote(arg: string): string {
  if (typeof arg !== 'string') throw new TypeError(`shQuote: expected a string, got ${typeof arg}`);
  if (arg === '') return "''";
  if (SAFE_WORD.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Words that a shell would not treat as a plain command name in first position. */
const RESERVED = new Set([
  '!', '{', '}', 'case', 'do', 'done', 'elif', 'else', 'esac', 'fi', 'for', 'function', 'if', 'in',
  'select', 'then', 'time', 'until', 'while', '[[', ']]',
]);

/**
 * Join an argv into one command line for `sh -c`; each element stays one word, and the first
 * one is always the command name (quoted when it would read as an assignment like `A=1` or a
 * reserved word like `if`).
 */
export function shJoin(argv: readonly string[]): string {
  return argv
    .map((arg, i) => {
      if (i === 0 && (RESERVED.has(arg) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(arg))) return `'${arg}'`;
      return shQuote(arg);
    })
    .join(' ');
}
