import type { Fact } from '../engine/types.js';

/** Content of a file on the host, or null when it does not exist. */
export function fileContent(path: string): Fact<string | null> {
  return {
    key: `file:${path}`,
    // exit 3 = absent; the script is a constant, the path travels as an argument
    argv: ['sh', '-c', 'test -e "$1" || exit 3; cat -- "$1"', 'sh', path],
    okCodes: [0, 3],
    parse: (r) => (r.code === 3 ? null : r.stdout),
  };
}
