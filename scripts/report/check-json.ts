/** Check results as JSON lines: {"type":"check",...} per check, then {"type":"summary",...}. */
import type { CheckResult } from '../checks/types.js';
import type { CheckRenderer, CheckSummary } from './check-plain.js';
import type { Write } from './plain.js';

export function checkJson(r: CheckResult): string {
  return JSON.stringify({
    type: 'check',
    name: r.name,
    status: r.status,
    ok: r.ok,
    durationMs: r.durationMs,
    detail: r.detail,
    ...(r.diagnosis !== undefined ? { diagnosis: r.diagnosis } : {}),
  });
}

export function summaryJson(s: CheckSummary): string {
  return JSON.stringify({ type: 'summary', passed: s.passed, failed: s.failed, skipped: s.skipped });
}

export class JsonCheckRenderer implements CheckRenderer {
  constructor(private readonly write: Write) {}
  start(): void {}
  result(r: CheckResult): void {
    this.write(`${checkJson(r)}\n`);
  }
  end(summary: CheckSummary): void {
    this.write(`${summaryJson(summary)}\n`);
  }
  close(): void {}
}
