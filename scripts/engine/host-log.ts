import { createWriteStream, mkdirSync, readdirSync, rmSync, type WriteStream } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { redact } from '../transport/redact.js';
import type { CommandLogger, CommandRecord } from '../transport/types.js';

/**
 * The full per-host log of one run: every command with exit code, duration and output, secrets redacted.
 * Files: <dir>/<host>.log, where dir is .kubelab/<cluster>/logs/<run id>/. An output larger than the host log
 * takes inline (transport/output.ts, 1 MiB) is in <dir>/outputs/<sha256>.out, written while the command runs and
 * named by its content, so that the same output of several hosts is stored once; the host log names that file.
 */
export class RunLogs implements CommandLogger {
  private readonly streams = new Map<string, WriteStream>();
  readonly spillDir: string;

  constructor(
    readonly dir: string,
    private readonly secrets: readonly string[] = [],
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.spillDir = join(dir, 'outputs');
  }

  record(entry: CommandRecord, secrets: readonly string[] = []): void {
    const all = [...this.secrets, ...secrets];
    const r = (s: string): string => redact(s, all);
    const lines = [
      `--- ${new Date().toISOString()} $ ${r(entry.command)}`,
      `exit ${entry.code} in ${entry.durationMs} ms`,
    ];
    if (entry.stdoutFile) lines.push(`stdout: in ${this.shown(entry.stdoutFile)}`);
    else if (entry.stdout) lines.push('stdout:', r(entry.stdout).trimEnd());
    if (entry.stderrFile) lines.push(`stderr: in ${this.shown(entry.stderrFile)}`);
    else if (entry.stderr) lines.push('stderr:', r(entry.stderr).trimEnd());
    this.stream(entry.host).write(`${lines.join('\n')}\n`);
  }

  /** A free-form line (step outcomes, errors) in the host's log. */
  note(host: string, text: string): void {
    this.stream(host).write(`# ${redact(text, this.secrets)}\n`);
  }

  /** An output file as the host log names it: relative to the run's folder when inside it. */
  private shown(file: string): string {
    const rel = relative(this.dir, file);
    return rel.startsWith('..') ? file : rel;
  }

  async close(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => new Promise<void>((res) => s.end(res))));
    this.streams.clear();
  }

  private stream(host: string): WriteStream {
    let s = this.streams.get(host);
    if (!s) {
      s = createWriteStream(join(this.dir, `${host.replace(/[^\w.-]/g, '_')}.log`), { flags: 'a', mode: 0o600 });
      this.streams.set(host, s);
    }
    return s;
  }
}

/** A sortable, filesystem-safe id for one run. */
export function runId(now = new Date()): string {
  return now.toISOString().replace(/[:.]/g, '-');
}

/** Default number of runs whose logs are kept per cluster (KUBELAB_KEEP_LOGS). */
export const DEFAULT_KEEP_LOGS = 20;

/**
 * Removes the oldest run folders under logsDir (.kubelab/<cluster>/logs) so that at most `keep` remain, the
 * folder `current` (the run starting now) always among them. Only folders named like runId() are touched.
 * Returns the names removed.
 */
export function pruneRunLogs(logsDir: string, keep: number, current?: string): string[] {
  let names: string[];
  try {
    names = readdirSync(logsDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && RUN_ID.test(d.name))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
  const cur = current === undefined ? undefined : basename(current);
  const others = names.filter((n) => n !== cur);
  const room = Math.max(0, keep - (cur !== undefined && names.includes(cur) ? 1 : 0));
  const removed = others.slice(0, Math.max(0, others.length - room));
  for (const name of removed) rmSync(join(logsDir, name), { recursive: true, force: true });
  return removed;
}

const RUN_ID = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;
