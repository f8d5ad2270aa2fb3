import type { Reporter, RunEvent } from '../engine/types.js';
import type { Write } from './plain.js';

/** One JSON object per line; the last line is the summary. */
export class JsonReporter implements Reporter {
  constructor(private readonly write: Write) {}
  event(e: RunEvent): void {
    this.write(`${JSON.stringify(e)}\n`);
  }
  close(): void {}
}
