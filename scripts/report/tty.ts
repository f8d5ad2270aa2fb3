import ora, { type Ora } from 'ora';
import type { CheckEvent, CheckStatus, CheckSummary, Reporter, RunEvent, RunMode } from '../engine/types.js';
import { checkSummaryLine, describeCheck, describeEvent, formatDuration, type Write } from './plain.js';
import { recapTable } from './recap.js';
import { printable } from '../util/terminal-text.js';

interface HostProgress {
  done: number;
  failed: boolean;
  unreachable: boolean;
}

const CHECK_STATUS: Record<CheckStatus, string> = { passed: 'ok', failed: 'FAILED', skipped: 'skipped' };

/** The width used when the terminal reports none (a pty without a size says 0 columns). */
const FALLBACK_COLUMNS = 80;

function columnsOf(stream: NodeJS.WriteStream): number {
  return stream.columns || FALLBACK_COLUMNS;
}

/**
 * The terminal as ora sees it: what ora uses of the stream, with a width that is never 0 (ora divides by it and,
 * given 0, clears an infinite number of lines).
 */
function spinnerStream(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  const view = {
    isTTY: stream.isTTY,
    get columns() {
      return columnsOf(stream);
    },
    get rows() {
      return stream.rows;
    },
    write: (...args: Parameters<NodeJS.WriteStream['write']>) => stream.write(...args),
    cursorTo: (x: number, y?: number) => (y === undefined ? stream.cursorTo(x) : stream.cursorTo(x, y)),
    moveCursor: (dx: number, dy: number) => stream.moveCursor(dx, dy),
    clearLine: (dir: -1 | 0 | 1) => stream.clearLine(dir),
    once: (event: string, fn: () => void) => (stream.once(event, fn), view),
    removeListener: (event: string, fn: () => void) => (stream.removeListener(event, fn), view),
  };
  return view as unknown as NodeJS.WriteStream;
}

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
  private readonly spinnerOut: NodeJS.WriteStream;

  constructor(
    private readonly write: Write,
    private readonly stream: NodeJS.WriteStream,
    /** How many steps a phase runs on a host (steps that do not concern a node are not run there). */
    private readonly stepsOf: (phase: string, host: string) => number,
  ) {
    this.spinnerOut = spinnerStream(stream);
  }

  /** discardStdin false: ora's default puts the terminal in raw mode, where Ctrl-C sends no SIGINT. */
  private spin(text?: string): Ora {
    return ora({ ...(text === undefined ? {} : { text }), stream: this.spinnerOut, discardStdin: false });
  }

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
        this.spinner = this.spin(this.text(e.title)).start();
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
        if (!this.inPhase) this.spinner = this.spin(`${e.name}: ${e.title} (${this.checks.length + 1}/${e.total})`).start();
        return;
      case 'check':
        this.checks.push(e);
        if (this.inPhase) this.print(`  ${describeCheck(e)}`);
        else this.checkDone(e);
        break;
      case 'summary':
        // a run that stopped on an error may end in the middle of a phase: its spinner goes first
        this.spinner?.stop();
        this.spinner = undefined;
        this.write('passed' in e ? this.checkReport(e) : printable(`\n${recapTable(e)}\n`));
        return;
    }
    if (this.spinner) this.spinner.text = this.text(this.phase);
  }

  close(): void {
    this.spinner?.stop();
  }

  private checkDone(e: CheckEvent): void {
    const text = `${e.name} ${e.status === 'skipped' ? 'skipped' : formatDuration(e.durationMs)}`;
    const s = this.spinner ?? this.spin();
    if (e.status === 'passed') s.succeed(text);
    else if (e.status === 'failed') s.fail(text);
    else s.info(text);
    this.spinner = undefined;
  }

  /** The table of every check, the diagnoses of the failed ones, the counts. */
  private checkReport(summary: CheckSummary): string {
    const out = [`\n${checkTable(this.checks, columnsOf(this.stream))}`];
    const failed = this.checks.filter((r) => r.status === 'failed');
    if (failed.length) {
      out.push('', 'Diagnosis:');
      for (const r of failed) out.push(`  ${r.name}: ${r.diagnosis ?? r.detail}`);
    }
    out.push('', checkSummaryLine(summary));
    return printable(`${out.join('\n')}\n`);
  }

  private text(title: string): string {
    return `${title}  ${this.hostsLine()}`;
  }

  private hostsLine(): string {
    return [...this.progress]
      .map(([h, p]) => `${h} ${p.unreachable ? 'unreachable' : p.failed ? 'failed' : `${p.done}/${this.stepsOf(this.phase, h)}`}`)
      .join(' · ');
  }

  /** Print a line above the spinner without tearing it (control characters of remote output escaped). */
  private print(text: string): void {
    const line = `${printable(text)}\n`;
    if (this.spinner) {
      this.spinner.clear();
      this.write(line);
      this.spinner.render();
    } else {
      this.write(line);
    }
  }
}
