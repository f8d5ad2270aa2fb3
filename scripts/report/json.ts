import type { Reporter, RunEvent } from '../engine/types.js';
import type { Write } from './plain.js';

/** One JSON object per line (check-start, progress only, left out); the last line is the summary. */
export class JsonReporter implements Reporter {
  constructor(private readonly write: Write) {}
  event(e: RunEvent): void {
    if (e.type !== 'check-start') this.write(`${JSON.stringify(e)}\n`);
  }
  close(): void {}
}
