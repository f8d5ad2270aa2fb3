import { parseArgs } from 'node:util';
import { DEFAULT_INVENTORY_FILE } from '../inventory/load.js';
import { OUTPUT_MODES, type OutputMode } from '../report/index.js';
import { CONNECT_TIMEOUT_RANGE_S, MAX_TIMER_MS } from '../transport/types.js';
import { UsageError } from '../util/errors.js';


interface CommonOptions {
  inventory: string;
  output?: OutputMode;
  concurrency: number;
  /** --connect-timeout, in ms (over the inventory's spec.ssh.connectTimeout); undefined when not given. */
  connectTimeoutMs?: number;
  help: boolean;
}

type OptionSpecs = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/** Options every command shares; `extra` are the command's own (node:util parseArgs format). */
export function parseCommon(
  args: string[],
  extra: OptionSpecs = {},
): { common: CommonOptions; values: Record<string, unknown>; positionals: string[] } {
  const options: OptionSpecs = {
    inventory: { type: 'string', short: 'i', default: DEFAULT_INVENTORY_FILE },
    output: { type: 'string', short: 'o' },
    concurrency: { type: 'string', default: '10' },
    'connect-timeout': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
    ...extra,
  };
  let parsed;
  try {
    parsed = parseArgs({ args: negativeValues(args, options), allowPositionals: true, strict: true, options });
  } catch (err) {
    throw usageOf(err as Error & { code?: string });
  }
  const v = parsed.values as Record<string, unknown>;
  const output = v.output as string | undefined;
  if (output !== undefined && !OUTPUT_MODES.includes(output as OutputMode)) {
    throw new UsageError(`--output ${output}: expected one of ${OUTPUT_MODES.join(', ')}`);
  }
  const concurrency = Number(v.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new UsageError(`--concurrency ${String(v.concurrency)}: expected a whole number of at least 1`);
  }
  const connectTimeoutMs = secondsOption('--connect-timeout', v['connect-timeout']);
  const { min, max } = CONNECT_TIMEOUT_RANGE_S;
  if (connectTimeoutMs !== undefined && (connectTimeoutMs < min * 1000 || connectTimeoutMs > max * 1000)) {
    throw new UsageError(`--connect-timeout ${String(v['connect-timeout'])}: expected ${min} to ${max} seconds, as spec.ssh.connectTimeout`);
  }
  return {
    common: {
      inventory: v.inventory as string,
      output: output as OutputMode | undefined,
      concurrency,
      ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
      help: v.help === true,
    },
    values: v,
    positionals: parsed.positionals,
  };
}

/**
 * The output mode the command line asks for, read even when its options do not parse, so that a usage error's
 * summary line goes out in that mode: the last of `-o M`, `--output M`, `--output=M`, `-oM` before `--`; undefined
 * when none names a mode.
 */
export function requestedOutput(args: readonly string[]): OutputMode | undefined {
  let found: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a === '-o' || a === '--output') found = args[i + 1];
    else if (a.startsWith('--output=')) found = a.slice('--output='.length);
    else if (/^-o[^-]/.test(a)) found = a.slice(2);
  }
  return OUTPUT_MODES.includes(found as OutputMode) ? (found as OutputMode) : undefined;
}

/**
 * A comma-separated option value as a list (undefined when the option was not given). An empty list and a name
 * given twice are UsageErrors: `--nodes ''` must not mean every node, nor `--nodes a,a` node a twice.
 */
export function listOption(value: unknown, flag: string): string[] | undefined {
  if (typeof value !== 'string') return undefined;
  const names = value.split(',').map((x) => x.trim());
  if (names.every((n) => n === '')) throw new UsageError(`${flag} ${JSON.stringify(value)}: expected names separated by commas, e.g. ${flag} a,b`);
  if (names.includes('')) throw new UsageError(`${flag} ${value}: an empty name between commas`);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length) throw new UsageError(`${flag} ${value}: ${[...new Set(twice)].join(', ')} named more than once`);
  return names;
}

/**
 * A duration option in seconds, as ms (undefined when not given): a number > 0, at most what a timer can wait
 * (2^31-1 ms, about 24.8 days; a longer Node.js timer would fire at once).
 */
export function secondsOption(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const raw = String(value).trim();
  const s = raw === '' ? NaN : Number(raw);
  if (!Number.isFinite(s) || s <= 0) throw new UsageError(`${flag} ${raw || "''"}: expected seconds (a number > 0)`);
  const ms = Math.ceil(s * 1000);
  if (ms > MAX_TIMER_MS) {
    throw new UsageError(`${flag} ${raw}: too long, at most ${Math.floor(MAX_TIMER_MS / 1000)} seconds (about 24 days)`);
  }
  return ms;
}

/** `--timeout -1` as `--timeout=-1`, so that a negative number reaches the option's own check (parseArgs refuses it). */
function negativeValues(args: string[], options: OptionSpecs): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    if (name !== undefined && options?.[name]?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** parseArgs' errors in kubelab's words. */
function usageOf(err: Error & { code?: string }): UsageError {
  const opt = /'(?:-\w, )?(--?[\w-]+)/.exec(err.message)?.[1] ?? '';
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown option ${opt} (see kubelab --help)`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(err.message)) return new UsageError(`${opt} takes no value`);
      if (/ambiguous/.test(err.message)) {
        return new UsageError(`${opt} needs a value (the next word starts with '-'; write ${opt}=VALUE for a value starting with '-')`);
      }
      return new UsageError(`${opt} needs a value, e.g. ${opt} VALUE`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument: ${err.message.replace(/^Unexpected argument '([^']*)'.*$/s, '$1')}`);
    default:
      return new UsageError(err.message);
  }
}
