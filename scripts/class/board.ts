/**
 * The class board: one row per student, built from the events of their cluster's command (board state, no
 * output), and its renderings: the rows as text (the live terminal view and the final table), one line per
 * finished student (plain output).
 */
import { printable } from '../util/terminal-text.js';
import type { ClusterEvent, StudentResult } from './run.js';

export type RowState = 'queued' | 'running' | 'green' | 'not green';

export interface CheckRow {
  readonly name: string;
  readonly status: string;
  readonly durationMs: number;
  readonly detail?: string;
  readonly diagnosis?: string;
}

export interface HostOutput {
  readonly host: string;
  readonly code?: number;
  readonly stdout?: string;
  readonly stderr?: string;
  readonly error?: string;
}

/** One student's lab in a class run. Mutable: the board updates it as events arrive. */
export interface BoardRow {
  readonly student: string;
  readonly cluster: string;
  state: RowState;
  /** The phases of the run (plan/up), in order, and the one running or last run. */
  phases: string[];
  phase?: string;
  phaseMs: Record<string, number>;
  steps: { ok: number; changed: number; failed: number; skipped: number };
  unreachable: string[];
  /** What went wrong, one line each (the first ones: see MAX_FAILURES). */
  failures: string[];
  /** The changes of the steps that changed (or would change, for plan), one line per step (the first MAX_CHANGES). */
  changes: string[];
  checks: CheckRow[];
  outputs: HostOutput[];
  /** From `kubelab kubeconfig`: the cluster's kubeconfig file, its server, and whether the API server answered. */
  kubeconfig?: { file: string; server: string; tlsServerName?: string; reachable: boolean };
  startedAt?: number;
  durationMs?: number;
  exitCode?: number;
}

const MAX_FAILURES = 20;
const MAX_CHANGES = 200;
/** A message on one line (a multi-line error's lines joined), at most 300 characters. */
const firstLine = (s: unknown): string => {
  const text = String(s ?? '').trim().replace(/\s*\n\s*/g, ' ');
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
};

export class Board {
  readonly rows: BoardRow[];
  constructor(
    students: readonly { name: string; inventory: { metadata: { name: string } } }[],
    private readonly now: () => number = Date.now,
  ) {
    this.rows = students.map((s) => ({
      student: s.name,
      cluster: s.inventory.metadata.name,
      state: 'queued',
      phases: [],
      phaseMs: {},
      steps: { ok: 0, changed: 0, failed: 0, skipped: 0 },
      unreachable: [],
      failures: [],
      changes: [],
      checks: [],
      outputs: [],
    }));
  }

  row(student: string): BoardRow {
    const r = this.rows.find((x) => x.student === student);
    if (!r) throw new Error(`no board row for ${student}`);
    return r;
  }

  start(student: string): void {
    const r = this.row(student);
    r.state = 'running';
    r.startedAt = this.now();
  }

  private fail(r: BoardRow, line: string): void {
    if (r.failures.length < MAX_FAILURES) r.failures.push(line);
  }

  event(student: string, e: ClusterEvent): void {
    const r = this.row(student);
    switch (e.type) {
      case 'run-start':
        r.phases = Array.isArray(e['phases']) ? (e['phases'] as string[]) : [];
        break;
      case 'phase-start':
        r.phase = String(e['phase']);
        break;
      case 'phase-end':
        r.phaseMs[String(e['phase'])] = Number(e['durationMs']);
        break;
      case 'host-unreachable':
        if (!r.unreachable.includes(String(e['host']))) r.unreachable.push(String(e['host']));
        this.fail(r, `${String(e['host'])} unreachable: ${firstLine(e['error'])}`);
        break;
      case 'step': {
        const outcome = String(e['outcome']) as keyof BoardRow['steps'];
        if (outcome in r.steps) r.steps[outcome]++;
        if (outcome === 'failed') this.fail(r, `${String(e['phase'])}/${String(e['step'])} on ${String(e['host'])}: ${firstLine(e['error'])}`);
        if (outcome === 'changed' && r.changes.length < MAX_CHANGES && Array.isArray(e['changes'])) {
          r.changes.push(`${String(e['phase'])}/${String(e['step'])} on ${String(e['host'])}: ${(e['changes'] as unknown[]).map(firstLine).join('; ')}`);
        }
        break;
      }
      case 'check': {
        const c: CheckRow = {
          name: String(e['name']),
          status: String(e['status']),
          durationMs: Number(e['durationMs']),
          ...(typeof e['detail'] === 'string' ? { detail: e['detail'] } : {}),
          ...(typeof e['diagnosis'] === 'string' ? { diagnosis: e['diagnosis'] } : {}),
        };
        r.checks.push(c);
        if (c.status === 'failed') this.fail(r, `check ${c.name}: ${firstLine(c.diagnosis ?? c.detail)}`);
        break;
      }
      case 'exec':
        r.outputs.push({
          host: String(e['host']),
          ...(typeof e['code'] === 'number' ? { code: e['code'] } : {}),
          ...(typeof e['stdout'] === 'string' ? { stdout: e['stdout'] } : {}),
          ...(typeof e['stderr'] === 'string' ? { stderr: e['stderr'] } : {}),
          ...(typeof e['message'] === 'string' ? { error: e['message'] } : {}),
        });
        if (e['error'] === 'unreachable') {
          if (!r.unreachable.includes(String(e['host']))) r.unreachable.push(String(e['host']));
          this.fail(r, `${String(e['host'])} unreachable: ${firstLine(e['message'])}`);
        } else if (typeof e['message'] === 'string') this.fail(r, `${String(e['host'])}: ${firstLine(e['message'])}`);
        else if (typeof e['code'] === 'number' && e['code'] !== 0) this.fail(r, `${String(e['host'])}: exit ${e['code']}`);
        break;
      case 'kubeconfig':
        r.kubeconfig = {
          file: String(e['file']),
          server: String(e['server']),
          ...(typeof e['tlsServerName'] === 'string' ? { tlsServerName: e['tlsServerName'] } : {}),
          reachable: e['reachable'] === true,
        };
        if (e['reachable'] !== true) this.fail(r, `API server: ${firstLine(e['error'] ?? 'not reachable')}`);
        break;
      case 'summary':
        if (typeof e['error'] === 'string') this.fail(r, `stopped: ${firstLine(e['error'])}`);
        if (typeof e['interrupted'] === 'string') this.fail(r, String(e['interrupted']));
        break;
      default:
        break;
    }
  }

  end(student: string, result: StudentResult): void {
    const r = this.row(student);
    r.exitCode = result.exitCode;
    r.durationMs = result.durationMs;
    r.state = result.exitCode === 0 ? 'green' : 'not green';
    if (result.error !== undefined) this.fail(r, firstLine(result.error.replace(/^kubelab: /, '')));
    else if (result.exitCode !== 0 && r.failures.length === 0) {
      const said = result.stderr.trim().split('\n').filter(Boolean).pop();
      this.fail(r, said !== undefined ? said.replace(/^kubelab: /, '') : `exit ${result.exitCode}`);
    }
  }

  /** Students whose lab is not green (the ones that did not run included). */
  notGreen(): string[] {
    return this.rows.filter((r) => r.state !== 'green').map((r) => r.student);
  }
}

/** "1m05s", "42s", "0.8s". */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** Where a row is: "queued", "3/9 packages", "done", with the checks' counts when there are any. */
export function progress(r: BoardRow): string {
  if (r.state === 'queued') return 'queued';
  const checks = r.checks.length ? ` checks ${r.checks.filter((c) => c.status === 'passed').length}/${r.checks.filter((c) => c.status !== 'skipped').length}` : '';
  if (r.state === 'running') {
    const i = r.phase !== undefined ? r.phases.indexOf(r.phase) : -1;
    return `${r.phase !== undefined ? `${i >= 0 ? `${i + 1}/${r.phases.length} ` : ''}${r.phase}` : 'running'}${checks}`;
  }
  return `${r.state}${checks}`;
}

/** The rows as a text table: student, state/progress, steps, time, the first failure; each line cut to `width`. */
export function boardLines(rows: readonly BoardRow[], width: number, now: number = Date.now()): string[] {
  const w = Math.max(40, width);
  const name = Math.max(7, ...rows.map((r) => r.student.length));
  const lines = [`${'STUDENT'.padEnd(name)}  ${'PROGRESS'.padEnd(26)}  ${'CHANGED'.padStart(7)}  ${'FAILED'.padStart(6)}  ${'TIME'.padStart(6)}  PROBLEM`.slice(0, w)];
  for (const r of rows) {
    const time = r.durationMs ?? (r.startedAt !== undefined ? now - r.startedAt : undefined);
    const failed = r.steps.failed + r.unreachable.length + r.checks.filter((c) => c.status === 'failed').length;
    const line = `${r.student.padEnd(name)}  ${progress(r).padEnd(26)}  ${String(r.steps.changed).padStart(7)}  ${String(failed).padStart(6)}  ${duration(time).padStart(6)}  ${r.failures[0] ?? ''}`;
    lines.push(printable(line).slice(0, w));
  }
  return lines;
}

/** One line for a student whose run ended (plain output). */
export function endLine(r: BoardRow): string {
  const problems = r.failures.length ? `: ${r.failures[0]}${r.failures.length > 1 ? ` (+${r.failures.length - 1} more)` : ''}` : '';
  return printable(`${r.student}: ${progress(r)}, ${r.steps.changed} changed, ${r.steps.failed} failed, in ${duration(r.durationMs)}${problems}`);
}
