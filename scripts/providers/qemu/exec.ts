/**
 * The provider's one way to run a host program: an argument array (never a shell string), output captured
 * (the tail), an optional timeout and early stop. Children inherit kubelab's environment, as any Unix tool's do;
 * this module is the one place in providers/ that passes it on (plus RunOptions.env on top).
 */
import { KubelabError } from '../../util/errors.js';
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';

export interface RunOptions {
  cwd?: string;
  /** Variables set for the child on top of the inherited environment. */
  env?: Readonly<Record<string, string>>;
  input?: string | Buffer;
  timeoutMs?: number;
  /** Do not throw on a non-zero exit. */
  allowFail?: boolean;
  /** Keep at most this many bytes of each stream (the tail). Default 1 MiB. */
  maxBytes?: number;
  /** stderr goes into stdout, in the order written (like 2>&1). */
  mergeStderr?: boolean;
  /** Called with the output so far (stdout, merged or not) after each chunk; true kills the child (SIGKILL). */
  stopWhen?: (output: string) => boolean;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** Killed after RunOptions.timeoutMs. */
  timedOut: boolean;
  /** Killed because RunOptions.stopWhen said so. */
  stopped: boolean;
  /** The signal that ended the child, if any. */
  signal?: NodeJS.Signals;
}

/** A host program (qemu-img, debootstrap, ...) failed: its argv, exit code and output tail, as a user-facing error. */
export class CommandError extends KubelabError {
  constructor(
    readonly argv: readonly string[],
    readonly result: RunResult,
  ) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-15).join('\n');
    super(
      `${argv.join(' ')} exited with ${result.code}${tail ? `:\n${tail}` : ''}`,
      `the lines above are the end of ${argv[0] ?? 'the command'}'s output; run it by hand to see all of it`,
    );
    this.name = 'CommandError';
  }
}

function tailAppend(buf: Buffer[], chunk: Buffer, size: { n: number }, max: number): void {
  buf.push(chunk);
  size.n += chunk.length;
  while (size.n > max && buf.length > 1) {
    size.n -= buf.shift()!.length;
  }
}

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const max = opts.maxBytes ?? 1 << 20;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const outN = { n: 0 };
    const errN = { n: 0 };
    let stopped = false;
    const onOut = (c: Buffer) => {
      tailAppend(out, c, outN, max);
      if (opts.stopWhen && !stopped && opts.stopWhen(Buffer.concat(out).toString('utf8'))) {
        stopped = true;
        child.kill('SIGKILL');
      }
    };
    child.stdout.on('data', onOut);
    child.stderr.on('data', opts.mergeStderr ? onOut : (c: Buffer) => tailAppend(err, c, errN, max));
    let timedOut = false;
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            if (stopped) return;
            timedOut = true;
            child.kill('SIGKILL');
          }, opts.timeoutMs)
        : undefined;
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      reject(
        new KubelabError(
          `cannot run ${cmd}: ${missing ? 'not found on PATH' : e.message}`,
          missing ? `install ${cmd} and run again (README, "The qemu provider")` : `check that ${cmd} is executable`,
        ),
      );
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const result: RunResult = {
        code: code ?? (signal ? 128 + (signalNumber(signal) ?? 0) : -1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (timedOut ? `\n(killed after ${opts.timeoutMs} ms)` : ''),
        durationMs: Date.now() - started,
        timedOut,
        stopped,
        ...(signal ? { signal } : {}),
      };
      if (result.code !== 0 && !opts.allowFail) reject(new CommandError([cmd, ...args], result));
      else resolve(result);
    });
    child.stdin.on('error', () => undefined);
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

function signalNumber(sig: NodeJS.Signals): number | undefined {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return table[sig];
}

/** True when `cmd` is on PATH (or is an existing absolute path) and executable. */
export async function haveCommand(cmd: string): Promise<boolean> {
  const candidates = cmd.includes('/')
    ? [cmd]
    : (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
        .split(':')
        .filter(Boolean)
        .map((d) => join(d, cmd));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return true;
    } catch {
      /* next */
    }
  }
  return false;
}
