import type { CheckEvent, CheckSummary, Reporter, RunEvent, RunMode } from '../engine/types.js';
import { recapTable } from './recap.js';
import { describeDownload } from '../util/download-notice.js';
import { printable } from '../util/terminal-text.js';

export type Write = (text: string) => void;

export function formatDuration(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** A check result's line (a diagnosis line under a failure). */
export function describeCheck(r: Omit<CheckEvent, 'type'>): string {
  if (r.status === 'skipped') return `${r.name} skipped: ${r.detail}`;
  const head = `${r.name} ${r.status === 'passed' ? 'ok' : 'FAILED'} (${formatDuration(r.durationMs)}): ${r.detail}`;
  return r.diagnosis ? `${head}\n  diagnosis: ${r.diagnosis}` : head;
}

export function checkSummaryLine(s: CheckSummary): string {
  const counts = `checks: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`;
  return s.error === undefined ? counts : `${counts} (none ran: ${s.error})`;
}

/** One line per event, stable and greppable: for CI logs and pipes. */
export function describeEvent(e: RunEvent, mode: RunMode): string | undefined {
  switch (e.type) {
    case 'run-start':
      return `kubelab ${mode === 'plan' ? 'plan' : 'up'} ${e.cluster}: phases ${e.phases.join(',')}; hosts ${e.hosts.join(',')}; logs ${e.logDir}`;
    case 'phase-start':
      return `== ${e.phase}: ${e.title}`;
    case 'host-unreachable':
      return `${e.host} UNREACHABLE: ${e.error}${e.hint ? ` (${e.hint})` : ''}`;
    case 'step': {
      const head = `${e.host} ${e.phase}/${e.step}`;
      if (e.outcome === 'ok') return `${head} ok`;
      if (e.outcome === 'changed') return `${head} ${mode === 'plan' ? 'would change' : 'changed'}: ${e.changes.join('; ')}`;
      if (e.outcome === 'skipped') return `${head} skipped: ${e.reason ?? ''}`;
      return `${head} FAILED: ${e.error ?? ''}${e.hint ? `\n  hint: ${e.hint}` : ''}`;
    }
    case 'download':
      return describeDownload(e);
    case 'phase-end':
      return `== ${e.phase} done in ${(e.durationMs / 1000).toFixed(1)}s`;
    case 'check-start':
      return undefined;
    case 'check':
      return describeCheck(e);
    case 'summary':
      return 'passed' in e ? checkSummaryLine(e) : recapTable(e);
  }
}

export class PlainReporter implements Reporter {
  private mode: RunMode = 'apply';
  constructor(private readonly write: Write) {}
  event(e: RunEvent): void {
    if (e.type === 'run-start') this.mode = e.mode;
    const line = describeEvent(e, this.mode);
    // remote output in errors and check details: control characters escaped (the host logs keep them)
    if (line !== undefined) this.write(`${printable(line)}\n`);
  }
  close(): void {}
}
