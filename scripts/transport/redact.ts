/** Redaction of secrets (passwords, tokens) from text that goes to logs or error messages. */

export const REDACTED = '<redacted>';

/** How a value looks after n levels of single-quote escaping by shQuote ('  ->  '\''). */
function quotedForms(secret: string): string[] {
  const forms = [secret];
  let s = secret;
  // Commands are quoted once by shJoin and once more by the sudo `sh -c` wrapper.
  for (let i = 0; i < 2 && s.includes("'"); i++) {
    s = s.replace(/'/g, `'\\''`);
    forms.push(s);
  }
  return forms;
}

/**
 * Replace every occurrence of every secret with "<redacted>". Also catches the secret as
 * it appears inside a shell-quoted command line (embedded quotes escaped as '\'').
 * Empty and undefined secrets are ignored.
 */
export function redact(text: string, secrets: readonly (string | undefined | null)[] | undefined): string {
  if (!secrets || secrets.length === 0 || !text) return text;
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret === '') continue;
    for (const f of quotedForms(secret)) forms.add(f);
    // A secret followed by a newline on stdin / in output is still the same secret.
    const trimmed = secret.trim();
    if (trimmed !== '' && trimmed !== secret) forms.add(trimmed);
  }
  if (forms.size === 0) return text;
  // Longest first, so a secret that contains another secret is replaced whole.
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  let out = text;
  for (const f of ordered) {
    if (out.includes(f)) out = out.split(f).join(REDACTED);
  }
  return out;
}
