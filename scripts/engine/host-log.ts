import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { redact } from '../transport/redact.js';
import type { CommandLogger, CommandRecord } from '../transport/types.js';

/**
 * The full per-host log of one run: every command with exit code, duration and output, secrets redacted.
 * Files: <dir>/<host>.log, where dir is .kubelab/<cluster>/logs/<run id>/.
 */
export class RunLogs implements CommandLogger {
  private readonly streams = new Map<string, WriteStream>();

  constructor(
    readonly dir: string,
    private readonly secrets: readonly string[] = [],
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  record(entry: CommandRecord, secrets: readonly string[] = []): void {
    const all = [...this.secrets, ...secrets];
    const r = (s: string): string => redact(s, all);
    const lines = [
      `--- ${new Date().toISOString()} $ ${r(entry.command)}`,
      `exit ${entry.code} in ${entry.durationMs} ms`,
    ];
    if (entry.stdout) lines.push('stdout:', r(entry.stdout).trimEnd());
    if (entry.stderr) lines.push('stderr:', r(entry.stderr).trimEnd());
    this.stream(entry.host).write(`${lines.join('\n')}\n`);
  }

  /** A free-form line (step outcomes, errors) in the host's log. */
  note(host: string, text: string): void {
    this.stream(host).write(`# ${redact(text, this.secrets)}\n`);
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
