import type { Fact } from '../engine/types.js';

/**
 * sha256 (lower-case hex) of each of `paths` that is a readable regular file, in one `sha256sum` call. A missing
 * file (or a directory) is absent from the map: sha256sum then says so on stderr and exits 1, still an answer.
 */
export function fileSha256(paths: readonly string[]): Fact<Map<string, string>> {
  return {
    key: `sha256:${paths.join(',')}`,
    argv: ['sha256sum', '--', ...paths],
    okCodes: [0, 1],
    parse: (r) => parseSha256sum(r.stdout),
  };
}

/**
 * Lines of GNU sha256sum: `<hex>  <path>` (text mode) or `<hex> *<path>` (binary mode). A name holding a
 * backslash or a newline is escaped (`\\`, `\n`) and its line starts with a backslash.
 */
export function parseSha256sum(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\\?)([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!m) continue;
    const name = m[1] ? m[3]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)) : m[3]!;
    out.set(name, m[2]!.toLowerCase());
  }
  return out;
}
