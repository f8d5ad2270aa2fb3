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
  const ordered = secretForms(secrets);
  if (ordered.length === 0) return text;
  let out = text;
  for (const f of ordered) {
    if (out.includes(f)) out = out.split(f).join(REDACTED);
  }
  return out;
}

/** Every form of every secret that is redacted (see redact), longest first, so that a secret containing another is replaced whole. */
function secretForms(secrets: readonly (string | undefined | null)[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret === '') continue;
    for (const f of quotedForms(secret)) forms.add(f);
    // A secret followed by a newline on stdin / in output is still the same secret.
    const trimmed = secret.trim();
    if (trimmed !== '' && trimmed !== secret) forms.add(trimmed);
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/**
 * Redaction of a byte stream that arrives in chunks (command output written to a log as it comes): a secret
 * split across two chunks is still replaced. push() returns what is safe to write now; the last bytes that
 * could be the start of a secret are held back until the next chunk or end().
 */
export class StreamRedactor {
  private readonly forms: Buffer[];
  private readonly hold: number;
  private readonly replacement = Buffer.from(REDACTED, 'utf8');
  private carry: Buffer = Buffer.alloc(0);

  constructor(secrets: readonly (string | undefined | null)[] | undefined) {
    this.forms = secretForms(secrets ?? []).map((f) => Buffer.from(f, 'utf8'));
    this.hold = this.forms.length ? this.forms[0]!.length - 1 : 0;
  }

  push(chunk: Buffer): Buffer {
    if (this.forms.length === 0) return chunk;
    const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    return this.scan(buf, false);
  }

  end(): Buffer {
    const rest = this.carry;
    this.carry = Buffer.alloc(0);
    return this.forms.length ? this.scan(rest, true) : rest;
  }

  /** Replaces every match; keeps back the tail that a later chunk could complete into a secret (unless final). */
  private scan(buf: Buffer, final: boolean): Buffer {
    const out: Buffer[] = [];
    let start = 0; // first byte not yet emitted
    let pos = 0;
    const safeEnd = final ? buf.length : Math.max(0, buf.length - this.hold);
    while (pos < buf.length) {
      let at = -1;
      let len = 0;
      for (const f of this.forms) {
        const i = buf.indexOf(f, pos);
        // earliest match wins; at the same position the longest (forms are sorted longest first)
        if (i !== -1 && (at === -1 || i < at)) {
          at = i;
          len = f.length;
        }
      }
      if (at === -1 || at >= safeEnd) break;
      out.push(buf.subarray(start, at), this.replacement);
      start = pos = at + len;
    }
    const cut = Math.max(start, safeEnd);
    out.push(buf.subarray(start, cut));
    this.carry = final ? Buffer.alloc(0) : Buffer.from(buf.subarray(cut));
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }
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
