import ora, { type Ora } from 'ora';
import type { Reporter, RunEvent, RunMode } from '../engine/types.js';
import { describeEvent, type Write } from './plain.js';
import { recapTable } from './recap.js';

interface HostProgress {
  done: number;
  failed: boolean;
  unreachable: boolean;
}

/** A spinner per phase with per-host progress; changes and failures printed above it; a recap table at the end. */
export class TtyReporter implements Reporter {
  private spinner: Ora | undefined;
  private mode: RunMode = 'apply';
  private phase = '';
  private progress = new Map<string, HostProgress>();

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
        this.progress = new Map(e.hosts.map((h) => [h, { done: 0, failed: false, unreachable: false }]));
        this.spinner = ora({ text: this.text(e.title), stream: this.stream }).start();
        return;
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
        return;
      }
      case 'summary':
        this.write(`\n${recapTable(e)}\n`);
        return;
    }
    if (this.spinner) this.spinner.text = this.text(this.phase);
  }

  close(): void {
    this.spinner?.stop();
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
