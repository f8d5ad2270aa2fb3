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

/**
 * Secrets recognised by their shape rather than known in advance, for text kept beyond the run (record mode's
 * fixtures): kubeadm bootstrap tokens (<id>.<secret>, [a-z0-9]{6}.[a-z0-9]{16}) and certificate keys where
 * they are named (--certificate-key, certificateKey:, certificate-key in kubeadm's output).
 */
const SHAPED_SECRETS: readonly RegExp[] = [
  /(?<![A-Za-z0-9_.-])[a-z0-9]{6}\.[a-z0-9]{16}(?![A-Za-z0-9_-])/g,
  /(--certificate-key[= ]|certificateKey["']?\s*[:=]\s*["']?|certificate key:\s*)[0-9a-fA-F]{32,}/g,
];

/** redact(), then every secret recognised by its shape (SHAPED_SECRETS). */
export function redactRecorded(text: string, secrets: readonly (string | undefined | null)[] | undefined): string {
  let out = redact(text, secrets);
  for (const re of SHAPED_SECRETS) {
    out = out.replace(re, (whole: string, prefix?: string) => (typeof prefix === 'string' ? `${prefix}${REDACTED}` : REDACTED));
  }
  return out;
}
