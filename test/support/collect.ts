import type { Reporter, RunEvent } from '../../scripts/engine/types.js';

/** A reporter that keeps every event, for assertions. */
export class CollectingReporter implements Reporter {
  events: RunEvent[] = [];
  closed = false;
  event(e: RunEvent): void {
    this.events.push(e);
  }
  close(): void {
    this.closed = true;
  }
  steps(): Extract<RunEvent, { type: 'step' }>[] {
    return this.events.filter((e): e is Extract<RunEvent, { type: 'step' }> => e.type === 'step');
  }
}
