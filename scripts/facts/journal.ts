import type { Fact } from '../engine/types.js';

/** The last `lines` lines of a systemd unit's journal (why it stopped or fails to start). Read-only. */
export function journalTail(unit: string, lines = 20): Fact<string> {
  return {
    key: `journal:${unit}:${lines}`,
    argv: ['journalctl', '-u', unit, '-n', String(lines), '--no-pager'],
    okCodes: [0, 1],
    parse: (r) => r.stdout.trimEnd(),
  };
}
