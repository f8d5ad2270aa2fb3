/**
 * Runs one kubelab command over every student's cluster, in this process: several clusters at once within the
 * roster's limits (clusters at once; SSH connections of all running clusters together), each cluster's command
 * with `--output json` into a stream whose lines become board events. One student's failure (a broken VM, a bad
 * credential, even a bug) is that student's result: the others go on.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { CliContext } from '../commands/cli-context.js';
import { describeError } from '../commands/error-text.js';
import type { ClassStudent } from './roster.js';

/** A line a cluster's command printed with --output json (a RunEvent, a check, an exec result, a summary ...). */
export type ClusterEvent = Record<string, unknown> & { type: string };

export interface StudentResult {
  readonly student: string;
  /** The command's exit code (0: green); 2 for bad input, 70 for an internal error. */
  readonly exitCode: number;
  readonly durationMs: number;
  /** What the command printed on stderr (its errors and warnings), the last STDERR_KEPT characters. */
  readonly stderr: string;
  /** Set when the command threw instead of returning: what it said. */
  readonly error?: string;
}

/** How much of a cluster's stderr is kept in memory for the board (the whole of it is in the class run's log). */
const STDERR_KEPT = 4000;

/** A Writable the commands take for stdout: each complete line, parsed as JSON, goes to `onLine`. */
class JsonLines extends Writable {
  private rest = '';
  readonly isTTY = false;
  constructor(
    private readonly onLine: (event: ClusterEvent) => void,
    private readonly log: WriteStream,
  ) {
    super();
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const text = this.rest + chunk.toString();
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) this.line(line);
    done();
  }
  override _final(done: (err?: Error | null) => void): void {
    if (this.rest) this.line(this.rest);
    this.rest = '';
    done();
  }
  private line(line: string): void {
    if (!line.trim()) return;
    this.log.write(`${line}\n`);
    try {
      const parsed = JSON.parse(line) as unknown;
      if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { type?: unknown }).type === 'string') this.onLine(parsed as ClusterEvent);
    } catch {
      // not a JSON line (nothing prints those with --output json): kept in the log only
    }
  }
}

/** A Writable for stderr: the whole text to the log, its last STDERR_KEPT characters in memory. */
class Tail extends Writable {
  text = '';
  readonly isTTY = false;
  constructor(private readonly log: WriteStream) {
    super();
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const s = chunk.toString();
    this.log.write(s);
    this.text = (this.text + s).slice(-STDERR_KEPT);
    done();
  }
}

export interface ClassRunOptions {
  readonly students: readonly ClassStudent[];
  readonly limits: { readonly clusters: number; readonly connections: number };
  /** The run's folder: one `<student>.log` each (the command's JSON lines and its stderr). */
  readonly logDir: string;
  readonly ctx: CliContext;
  /** The command over one student's cluster, given a context whose stdout takes its JSON lines. */
  readonly command: (student: ClassStudent, ctx: CliContext) => Promise<number>;
  readonly onStart?: (student: ClassStudent) => void;
  readonly onEvent: (student: ClassStudent, event: ClusterEvent) => void;
  readonly onEnd?: (student: ClassStudent, result: StudentResult) => void;
  readonly now?: () => number;
}

/**
 * Every student's cluster through `command`, at most `limits.clusters` at once and, together, at most
 * `limits.connections` nodes (a cluster larger than that runs alone). The clusters start in roster order; after
 * an interrupt (ctx.signal) no new one starts. Resolves with one result per student that ran, in roster order.
 */
export async function runClass(o: ClassRunOptions): Promise<StudentResult[]> {
  const now = o.now ?? Date.now;
  mkdirSync(o.logDir, { recursive: true });
  const queue = [...o.students];
  const results = new Map<string, StudentResult>();
  let running = 0;
  let connections = 0;
  const need = (s: ClassStudent): number => s.inventory.spec.nodes.length;

  await new Promise<void>((resolveAll) => {
    const pump = (): void => {
      while (queue.length > 0 && !o.ctx.signal?.aborted && running < o.limits.clusters && (running === 0 || connections + need(queue[0]!) <= o.limits.connections)) {
        const s = queue.shift()!;
        running++;
        connections += need(s);
        void runOne(s).then((r) => {
          results.set(s.name, r);
          o.onEnd?.(s, r);
          running--;
          connections -= need(s);
          pump();
        });
      }
      if (running === 0) resolveAll();
    };
    pump();
  });
  return o.students.flatMap((s) => results.get(s.name) ?? []);

  async function runOne(s: ClassStudent): Promise<StudentResult> {
    const started = now();
    const log = createWriteStream(join(o.logDir, `${s.name}.log`), { mode: 0o600 });
    const stdout = new JsonLines((e) => o.onEvent(s, e), log);
    const stderr = new Tail(log);
    const ctx: CliContext = {
      ...o.ctx,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stderr: stderr as unknown as NodeJS.WriteStream,
      // no prompts from many clusters at once: secrets come from the environment (passwordEnv, passphraseEnv)
      askSecret: undefined,
      // each cluster connects directly: a connection keeper per cluster would be one more process per student
      settings: { ...o.ctx.settings, persistSeconds: 0 },
    };
    o.onStart?.(s);
    let exitCode: number;
    let error: string | undefined;
    try {
      exitCode = await o.command(s, ctx);
    } catch (err) {
      const told = describeError(err);
      error = told ? told.text.trim() : `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
      exitCode = told ? told.exitCode : 70;
      stderr.write(`${error}\n`);
    }
    await new Promise<void>((r) => stdout.end(r));
    await new Promise<void>((r) => log.end(r));
    return { student: s.name, exitCode, durationMs: now() - started, stderr: stderr.text, ...(error !== undefined ? { error } : {}) };
  }
}
