import type { Fact } from '../engine/types.js';

/** Active swap areas from /proc/swaps (device or file paths). */
export const activeSwaps: Fact<string[]> = {
  key: 'proc-swaps',
  argv: ['cat', '/proc/swaps'],
  parse: (r) =>
    r.stdout
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter(Boolean)
      .map((p) => p.replace(/\\040/g, ' ')),
};

export interface SwapUnit {
  unit: string;
  load: string;
  active: string;
}

/** systemd swap units that are loaded (from fstab, generators or unit files), masked ones included. */
export const swapUnits: Fact<SwapUnit[]> = {
  key: 'swap-units',
  argv: ['systemctl', 'list-units', '--type=swap', '--all', '--no-legend', '--plain', '--no-pager'],
  parse: (r) =>
    r.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[0]?.endsWith('.swap'))
      .map((f) => ({ unit: f[0]!, load: f[1] ?? '', active: f[2] ?? '' })),
};
