/**
 * systemd unit files (units and drop-ins) rendered from data: sections of `Key=value` settings and comments,
 * sections separated by a blank line, one trailing newline.
 */

/** `Key=value`; an Environment setting is written as Environment="NAME=value" (see env()). */
export type UnitLine = { readonly key: string; readonly value: string } | { readonly comment: string };

export interface UnitSection {
  readonly name: string;
  readonly lines: readonly UnitLine[];
}

export interface UnitFile {
  /** Comment lines before the first section. */
  readonly comments?: readonly string[];
  readonly sections: readonly UnitSection[];
}

export function setting(key: string, value: string): UnitLine {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key)) throw new TypeError(`not a systemd setting name: ${key}`);
  if (/[\n\r]/.test(value)) throw new TypeError(`${key}: a systemd setting is one line`);
  return { key, value };
}

/** Environment="NAME=value": quoted as one word, so the value may hold spaces. */
export function env(name: string, value: string): UnitLine {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TypeError(`not an environment variable name: ${name}`);
  if (/["\\\n\r]/.test(value)) throw new TypeError(`${name}: quotes, backslashes and newlines are not rendered`);
  return { key: 'Environment', value: `"${name}=${value}"` };
}

export function comment(text: string): UnitLine {
  return { comment: text };
}

export function renderUnit(unit: UnitFile): string {
  const line = (l: UnitLine): string => ('comment' in l ? `# ${l.comment}` : `${l.key}=${l.value}`);
  const head = (unit.comments ?? []).map((c) => `# ${c}\n`).join('');
  return head + unit.sections.map((s) => `[${s.name}]\n${s.lines.map((l) => `${line(l)}\n`).join('')}`).join('\n');
}
