import type { Fact } from '../engine/types.js';

export interface OsRelease {
  id: string;
  versionId: string;
  prettyName: string;
  codename: string;
}

/** Parses os-release(5): KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): OsRelease {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2]!;
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    vars.set(m[1]!, value);
  }
  return {
    id: vars.get('ID') ?? '',
    versionId: vars.get('VERSION_ID') ?? '',
    prettyName: vars.get('PRETTY_NAME') ?? vars.get('NAME') ?? 'unknown OS',
    codename: vars.get('VERSION_CODENAME') ?? '',
  };
}

export const osRelease: Fact<OsRelease> = {
  key: 'os-release',
  argv: ['cat', '/etc/os-release'],
  parse: (r) => parseOsRelease(r.stdout),
};
