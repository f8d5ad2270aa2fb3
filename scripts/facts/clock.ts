import type { Fact } from '../engine/types.js';

/** The host's clock, seconds since the epoch with nanoseconds (`date +%s.%N`). */
export const hostClock: Fact<number> = {
  key: 'clock',
  argv: ['date', '+%s.%N'],
  parse: (r) => {
    const s = Number(r.stdout.trim());
    if (!Number.isFinite(s) || s <= 0) throw new Error(`date +%s.%N: not a time: ${JSON.stringify(r.stdout.trim())}`);
    return s;
  },
};
