import type { Fact } from '../engine/types.js';

/** The running (kernel) hostname. */
export const hostname: Fact<string> = {
  key: 'hostname',
  argv: ['hostname'],
  parse: (r) => r.stdout.trim(),
};
