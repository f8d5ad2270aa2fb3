/** Check results on a terminal: a spinner while a check runs, a line per result, then a table and the diagnoses. */
import ora, { type Ora } from 'ora';
import type { CheckResult } from '../checks/types.js';
import { formatDuration, summaryLine, type CheckRenderer, type CheckSummary } from './check-plain.js';
import type { Write } from './plain.js';

const STATUS: Record<CheckResult['status'], string> = { passed: 'ok', failed: 'FAILED', skipped: 'skipped' };

/** NAME  RESULT  TIME  DETAIL, the detail cut to `width` columns overall. */
export function checkTable(results: readonly CheckResult[], width = 120): string {
  const header = ['CHECK', 'RESULT', 'TIME', 'DETAIL'];
  const rows = results.map((r) => [r.name, STATUS[r.status], r.status === 'skipped' ? '-' : formatDuration(r.durationMs), r.detail]);
  const widths = header.slice(0, 3).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const room = Math.max(20, width - widths.reduce((a, b) => a + b + 2, 0));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.length > room ? `${c.slice(0, room - 1)}…` : c))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export class TtyCheckRenderer implements CheckRenderer {
  private spinner: Ora | undefined;
  private done = 0;
  constructor(
    private readonly write: Write,
    private readonly stream: NodeJS.WriteStream,
    private readonly total: number,
  ) {}

  start(name: string, title: string): void {
    this.spinner = ora({ text: `${name}: ${title} (${this.done + 1}/${this.total})`, stream: this.stream }).start();
  }

  result(r: CheckResult): void {
    this.done++;
    const text = `${r.name} ${r.status === 'skipped' ? 'skipped' : formatDuration(r.durationMs)}`;
    const s = this.spinner ?? ora({ stream: this.stream });
    if (r.status === 'passed') s.succeed(text);
    else if (r.status === 'failed') s.fail(text);
    else s.info(text);
    this.spinner = undefined;
  }

  end(summary: CheckSummary, results: readonly CheckResult[]): void {
    const out = [`\n${checkTable(results, this.stream.columns || 120)}`];
    const failed = results.filter((r) => r.status === 'failed');
    if (failed.length) {
      out.push('', 'Diagnosis:');
      for (const r of failed) out.push(`  ${r.name}: ${r.diagnosis ?? r.detail}`);
    }
    out.push('', summaryLine(summary));
    this.write(`${out.join('\n')}\n`);
  }

  close(): void {
    this.spinner?.stop();
  }
}
