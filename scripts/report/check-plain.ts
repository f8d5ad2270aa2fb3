/** Check results as plain lines: one per check (a diagnosis line under failures), then the counts. */
import type { CheckResult } from '../checks/types.js';
import type { Write } from './plain.js';

export interface CheckSummary {
  passed: number;
  failed: number;
  skipped: number;
}

/** How a check rendering is driven by the command: start and result per check, end once. */
export interface CheckRenderer {
  start(name: string, title: string): void;
  result(r: CheckResult): void;
  end(summary: CheckSummary, results: readonly CheckResult[]): void;
  close(): void;
}

export function formatDuration(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

export function describeCheck(r: CheckResult): string {
  if (r.status === 'skipped') return `${r.name} skipped: ${r.detail}`;
  const head = `${r.name} ${r.status === 'passed' ? 'ok' : 'FAILED'} (${formatDuration(r.durationMs)}): ${r.detail}`;
  return r.diagnosis ? `${head}\n  diagnosis: ${r.diagnosis}` : head;
}

export function summaryLine(s: CheckSummary): string {
  return `checks: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`;
}

export class PlainCheckRenderer implements CheckRenderer {
  constructor(private readonly write: Write) {}
  start(): void {}
  result(r: CheckResult): void {
    this.write(`${describeCheck(r)}\n`);
  }
  end(summary: CheckSummary): void {
    this.write(`${summaryLine(summary)}\n`);
  }
  close(): void {}
}
