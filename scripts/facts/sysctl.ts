import type { Fact } from '../engine/types.js';

/** Live values of sysctl keys; a key the kernel does not know (module not loaded) is absent from the map. */
export function sysctlValues(keys: readonly string[]): Fact<Map<string, string>> {
  return {
    key: `sysctl:${keys.join(',')}`,
    argv: ['sysctl', '-e', ...keys],
    okCodes: [0, 255],
    parse: (r) => {
      const values = new Map<string, string>();
      for (const line of r.stdout.split('\n')) {
        const m = /^([\w.\-/]+)\s*=\s*(.*)$/.exec(line.trim());
        if (m) values.set(m[1]!, m[2]!.trim());
      }
      return values;
    },
  };
}
