import ora, { type Ora } from 'ora';
import type { CheckEvent, CheckStatus, CheckSummary, Reporter, RunEvent, RunMode } from '../engine/types.js';
import { checkSummaryLine, describeCheck, describeEvent, formatDuration, type Write } from './plain.js';
import { recapTable } from './recap.js';

interface HostProgress {
  done: number;
  failed: boolean;
  unreachable: boolean;
}

const CHECK_STATUS: Record<CheckStatus, string> = { passed: 'ok', failed: 'FAILED', skipped: 'skipped' };

/** NAME  RESULT  TIME  DETAIL, the detail cut to `width` columns overall. */
export function checkTable(results: readonly Omit<CheckEvent, 'type'>[], width = 120): string {
  const header = ['CHECK', 'RESULT', 'TIME', 'DETAIL'];
  const rows = results.map((r) => [r.name, CHECK_STATUS[r.status], r.status === 'skipped' ? '-' : formatDuration(r.durationMs), r.detail]);
  const widths = header.slice(0, 3).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const room = Math.max(20, width - widths.reduce((a, b) => a + b + 2, 0));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.length > room ? `${c.slice(0, room - 1)}…` : c))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * A spinner per phase with per-host progress; changes, failures and check results printed above it; a recap table
 * at the end. Checks outside a phase (`kubelab check`) get a spinner each, then a table, the diagnoses and counts.
 */
export class TtyReporter implements Reporter {
  private spinner: Ora | undefined;
  private mode: RunMode = 'apply';
  private phase = '';
  private progress = new Map<string, HostProgress>();
  private inPhase = false;
  private checks: CheckEvent[] = [];

  constructor(
    private readonly write: Write,
    private readonly stream: NodeJS.WriteStream,
    /** How many steps a phase runs on a host (steps that do not concern a node are not run there). */
    private readonly stepsOf: (phase: string, host: string) => number,
  ) {}

  event(e: RunEvent): void {
    switch (e.type) {
      case 'run-start':
        this.mode = e.mode;
        this.print(describeEvent(e, e.mode)!);
        return;
      case 'phase-start':
        this.phase = e.phase;
        this.inPhase = true;
        this.progress = new Map(e.hosts.map((h) => [h, { done: 0, failed: false, unreachable: false }]));
        this.spinner = ora({ text: this.text(e.title), stream: this.stream }).start();
        return;
      case 'download':
        this.print(describeEvent(e, this.mode)!);
        break;
      case 'host-unreachable': {
        const p = this.progress.get(e.host);
        if (p) p.unreachable = true;
        this.print(describeEvent(e, this.mode)!);
        break;
      }
      case 'step': {
        const p = this.progress.get(e.host);
        if (p) {
          p.done++;
          p.failed ||= e.outcome === 'failed';
        }
        if (e.outcome === 'changed' || e.outcome === 'failed') this.print(`  ${describeEvent(e, this.mode)}`);
        break;
      }
      case 'phase-end': {
        const bad = [...this.progress.values()].some((p) => p.failed || p.unreachable);
        const text = `${e.phase} ${(e.durationMs / 1000).toFixed(1)}s  ${this.hostsLine()}`;
        if (bad) this.spinner?.fail(text);
        else this.spinner?.succeed(text);
        this.spinner = undefined;
        this.inPhase = false;
        return;
      }
      case 'check-start':
        if (!this.inPhase) this.spinner = ora({ text: `${e.name}: ${e.title} (${this.checks.length + 1}/${e.total})`, stream: this.stream }).start();
        return;
      case 'check':
        this.checks.push(e);
        if (this.inPhase) this.print(`  ${describeCheck(e)}`);
        else this.checkDone(e);
        break;
      case 'summary':
        this.write('passed' in e ? this.checkReport(e) : `\n${recapTable(e)}\n`);
        return;
    }
    if (this.spinner) this.spinner.text = this.text(this.phase);
  }

  close(): void {
    this.spinner?.stop();
  }

  private checkDone(e: CheckEvent): void {
    const text = `${e.name} ${e.status === 'skipped' ? 'skipped' : formatDuration(e.durationMs)}`;
    const s = this.spinner ?? ora({ stream: this.stream });
    if (e.status === 'passed') s.succeed(text);
    else if (e.status === 'failed') s.fail(text);
    else s.info(text);
    this.spinner = undefined;
  }

  /** The table of every check, the diagnoses of the failed ones, the counts. */
  private checkReport(summary: CheckSummary): string {
    const out = [`\n${checkTable(this.checks, this.stream.columns || 120)}`];
    const failed = this.checks.filter((r) => r.status === 'failed');
    if (failed.length) {
      out.push('', 'Diagnosis:');
      for (const r of failed) out.push(`  ${r.name}: ${r.diagnosis ?? r.detail}`);
    }
    out.push('', checkSummaryLine(summary));
    return `${out.join('\n')}\n`;
  }

  private text(title: string): string {
    return `${title}  ${this.hostsLine()}`;
  }

  private hostsLine(): string {
    return [...this.progress]
      .map(([h, p]) => `${h} ${p.unreachable ? 'unreachable' : p.failed ? 'failed' : `${p.done}/${this.stepsOf(this.phase, h)}`}`)
      .join(' · ');
  }

  /** Print a line above the spinner without tearing it. */
  private print(line: string): void {
    if (this.spinner) {
      this.spinner.clear();
      this.write(`${line}\n`);
      this.spinner.render();
    } else {
      this.write(`${line}\n`);
    }
  }
}
