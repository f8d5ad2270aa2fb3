/**
 * LocalTransport (tests only): a Transport that runs argv on this machine with child_process.spawn (no shell),
 * logging like the real transports, for code under test that takes a Transport and whose command log matters
 * (e.g. k8s/admin-kubeconfig's logStdout: false). Commands run as the current user.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { constants as osConstants } from 'node:os';

import { shJoin } from '../../scripts/transport/quote.js';
import { redact } from '../../scripts/transport/redact.js';
import {
  stdoutForLog,
  TransportError,
  type CommandLogger,
  type ExecOptions,
  type ExecResult,
  type PutOptions,
  type Transport,
} from '../../scripts/transport/types.js';

export interface LocalTransportOptions {
  /** Name used in errors and logs. Default "local". */
  name?: string;
  logger?: CommandLogger;
  /** Working directory for commands. Default: process.cwd(). */
  cwd?: string;
  /** Environment for commands. Default: process.env. */
  env?: NodeJS.ProcessEnv;
}

export class LocalTransport implements Transport {
  readonly name: string;
  private readonly opts: LocalTransportOptions;

  constructor(opts: LocalTransportOptions = {}) {
    this.opts = opts;
    this.name = opts.name ?? 'local';
  }

  async connect(): Promise<void> {}

  exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const [cmd, ...args] = argv;
    if (cmd === undefined) return Promise.reject(new TypeError('exec: empty argv'));
    const secrets = opts.secrets ?? [];
    const command = shJoin(argv);
    const started = performance.now();
    return new Promise<ExecResult>((resolve, reject) => {
      const child = spawn(cmd, args, {
        cwd: this.opts.cwd,
        env: this.opts.env ?? process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      let spawnError: Error | undefined;
      let timer: NodeJS.Timeout | undefined;
      if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
        timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, opts.timeoutMs);
      }
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.stdin.on('error', () => {
        /* EPIPE when the command does not read stdin */
      });
      if (opts.stdin !== undefined && opts.stdin.length > 0) child.stdin.write(opts.stdin);
      child.stdin.end();
      child.on('error', (e) => {
        spawnError = e;
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        const durationMs = Math.round(performance.now() - started);
        const stdout = Buffer.concat(out).toString('utf8');
        let stderr = Buffer.concat(err).toString('utf8');
        let exit = code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : -1);
        if (spawnError) {
          // Like a shell: 127 for "not found", 126 for "cannot execute".
          exit = (spawnError as NodeJS.ErrnoException).code === 'ENOENT' ? 127 : 126;
          stderr += `${cmd}: ${spawnError.message}\n`;
        }
        this.opts.logger?.record(
          {
            host: this.name,
            command: redact(command, secrets),
            code: timedOut ? -1 : exit,
            durationMs,
            stdout: redact(stdoutForLog(stdout, opts), secrets),
            stderr: redact(stderr, secrets),
          },
          secrets,
        );
        if (timedOut) {
          reject(new TransportError('timeout', this.name, `command timed out after ${opts.timeoutMs}ms: ${redact(command, secrets)}`));
          return;
        }
        resolve({ stdout, stderr, code: exit, durationMs });
      });
    });
  }

  async put(content: string | Buffer, dest: string, opts: PutOptions): Promise<void> {
    const dir = dirname(dest);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${randomBytes(6).toString('hex')}.kubelab-tmp`);
    try {
      await writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
      if (opts.owner || opts.group) {
        const spec = `${opts.owner ?? ''}${opts.group ? `:${opts.group}` : ''}`;
        const res = await this.exec(['chown', spec, tmp]);
        if (res.code !== 0) throw new Error(`chown ${spec} failed: ${res.stderr.trim()}`);
      }
      await chmod(tmp, opts.mode & 0o7777);
      await rename(tmp, dest);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async putFile(localPath: string, dest: string, opts: PutOptions): Promise<void> {
    await this.put(await readFile(localPath), dest, opts);
  }

  async close(): Promise<void> {}
}
