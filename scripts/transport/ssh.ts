/**
 * SshTransport: one ssh2 connection per node, reused by every exec/put/forward.
 *
 * - Commands are argv, joined with shJoin for the remote POSIX shell. When the login user is
 *   not root they run through `sudo -n` (or `sudo -S` with the password fed on stdin).
 * - Host keys are pinned in a known_hosts file (trust on first use, refuse on change).
 * - Up to maxChannels (8) sessions run at once per connection; more execs wait in a queue
 *   (sshd's MaxSessions defaults to 10).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { constants as osConstants } from 'node:os';
import { posix as posixPath } from 'node:path';
import { performance } from 'node:perf_hooks';

import ssh2 from 'ssh2';
import type { ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';

import { abortReason, raceAbort } from '../util/abort.js';
import { KnownHosts } from './known-hosts.js';
import { DEFAULT_MAX_OUTPUT_BYTES, OutputCapture, type CapturedOutput } from './output.js';
import { shJoin, shQuote } from './quote.js';
import { redact } from './redact.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  MAX_TIMER_MS,
  TransportError,
  type CommandLogger,
  type ExecOptions,
  type CommandRecord,
  type ExecResult,
  type Forward,
  type PutOptions,
  type Transport,
} from './types.js';

const { Client, utils: sshUtils } = ssh2;
type SshClient = InstanceType<typeof Client>;

export interface SshTransportOptions {
  /** Node name, used in errors and logs. */
  name: string;
  host: string;
  /** Default 22. */
  port?: number;
  user: string;
  /** Private key file (OpenSSH or PEM). */
  identityFile?: string;
  /** Passphrase for an encrypted identityFile. */
  passphrase?: string;
  /** Password for SSH password authentication. */
  password?: string;
  /** ssh-agent socket path (e.g. process.env.SSH_AUTH_SOCK). */
  agent?: string;
  /** Password for sudo when the login user is not root and sudo is not NOPASSWD. */
  sudoPassword?: string;
  /** known_hosts file used for host-key pinning, e.g. .kubelab/<cluster>/known_hosts. */
  knownHostsFile: string;
  /** The KnownHosts of knownHostsFile shared by the transports of one process (default: one of its own). */
  knownHosts?: KnownHosts;
  /**
   * The one deadline for reaching the node: TCP connect, SSH handshake and authentication, retries included
   * (inventory spec.ssh.connectTimeout, --connect-timeout). Default 10000.
   */
  connectTimeoutMs?: number;
  /**
   * Extra attempts after the first when the connection is refused or reset (never for auth/hostkey, never past
   * connectTimeoutMs: a silent host uses up the deadline in its first attempt). Default 3.
   */
  connectRetries?: number;
  /** First backoff delay between connect attempts, doubled each time. Default 500. */
  connectRetryDelayMs?: number;
  /** SSH keepalive interval. Default 15000 (0 disables). */
  keepaliveIntervalMs?: number;
  /** Concurrent session channels per connection; more execs are queued. Default 8. */
  maxChannels?: number;
  logger?: CommandLogger;
}

/** Counting semaphore with a FIFO queue. */
class Semaphore {
  private waiters: (() => void)[] = [];
  private active = 0;
  constructor(private readonly limit: number) {}
  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next(); // the slot passes straight to the next waiter
    else this.active--;
  }
}

interface Conn {
  client: SshClient;
  closed: boolean;
  /** Why the connection dropped (error after ready), for messages. */
  lostReason?: string;
}

const RETRYABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EPIPE',
  'EAI_AGAIN',
]);

/** "10 s", "0.2 s": a duration in ms, in seconds, for messages. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function signalExitCode(signal: string | undefined): number {
  if (!signal) return -1;
  const name = (signal.startsWith('SIG') ? signal : `SIG${signal}`) as keyof typeof osConstants.signals;
  const n = osConstants.signals[name];
  return typeof n === 'number' ? 128 + n : -1;
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0] ?? '';
}

interface Wire {
  /** The exact command line sent to the remote login shell. */
  command: string;
  /** What the command log shows (the wire command without the markers). */
  display: string;
  /** Printed on stderr by the login shell, followed by its PID (= process group). */
  pidMarker: string;
  /** Printed on stderr by the inner shell once sudo has let the command start. */
  readyMarker?: string;
  /** sudo -S prompt (only when a sudo password is used). */
  prompt?: string;
  sudo: boolean;
}

interface RawRun extends ExecResult {
  /** Whether the command itself started (markers seen). */
  started: boolean;
  wrongSudoPassword: boolean;
}

export class SshTransport implements Transport {
  /** Exit codes caught as soon as a channel opens (see openChannel). */
  private readonly channelExits = new WeakMap<ClientChannel, number>();
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  private readonly opts: SshTransportOptions;
  private readonly knownHosts: KnownHosts;
  private readonly sem: Semaphore;
  private conn: Conn | undefined;
  private connecting: Promise<Conn> | undefined;
  /** Bumped by close(); aborts connect retries started before it. */
  private generation = 0;
  private readonly forwards = new Set<Forward>();
  /** Process-group kills in flight (timeouts, interrupts): close() waits for them, or they would never run. */
  private readonly killing = new Set<Promise<unknown>>();
  /** Gives up the connect attempt in progress (close() does not wait for a silent host's handshake timeout). */
  private cancelConnect: (() => void) | undefined;

  constructor(opts: SshTransportOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.host = opts.host;
    this.port = opts.port ?? 22;
    this.user = opts.user;
    this.knownHosts = opts.knownHosts ?? new KnownHosts(opts.knownHostsFile);
    this.sem = new Semaphore(Math.max(1, opts.maxChannels ?? 8));
  }

  private get secrets(): string[] {
    return [this.opts.password, this.opts.sudoPassword, this.opts.passphrase].filter(
      (s): s is string => typeof s === 'string' && s !== '',
    );
  }

  private get endpoint(): string {
    return `${this.host}:${this.port}`;
  }

  // ---------------------------------------------------------------- connection

  async connect(): Promise<void> {
    await this.getConn();
  }

  private getConn(): Promise<Conn> {
    if (this.conn && !this.conn.closed) return Promise.resolve(this.conn);
    if (!this.connecting) {
      const gen = this.generation;
      this.connecting = this.connectWithRetry(gen).then(
        (conn) => {
          this.connecting = undefined;
          if (gen !== this.generation) {
            conn.client.end();
            throw new TransportError('unreachable', this.name, `connection to ${this.endpoint} was closed`);
          }
          this.conn = conn;
          return conn;
        },
        (err: unknown) => {
          this.connecting = undefined;
          throw err;
        },
      );
    }
    return this.connecting;
  }

  private async connectWithRetry(gen: number): Promise<Conn> {
    const retries = Math.max(0, this.opts.connectRetries ?? 3);
    const base = this.opts.connectRetryDelayMs ?? 500;
    const timeoutMs = this.connectTimeoutMs;
    const deadline = performance.now() + timeoutMs;
    const auth = await this.authConfig();
    for (let attempt = 0; ; attempt++) {
      const left = deadline - performance.now();
      try {
        if (left <= 0) throw this.unreachable(`no SSH answer within ${seconds(timeoutMs)} (connect timeout)`);
        return await this.connectOnce(auth, left, timeoutMs, attempt + 1);
      } catch (err) {
        const retryable = err instanceof TransportError && err.kind === 'unreachable' && !/ENOTFOUND|connect timeout/.test(err.message);
        if (!retryable || attempt >= retries || gen !== this.generation) throw err;
        const delay = base * 2 ** attempt;
        if (performance.now() + delay >= deadline) throw err;
        await sleep(delay);
        if (gen !== this.generation) throw err;
      }
    }
  }

  /** The connect deadline in ms (a timer cannot be longer than 2^31-1 ms). */
  private get connectTimeoutMs(): number {
    const t = this.opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    return Math.min(Math.max(1, t), MAX_TIMER_MS);
  }

  private async authConfig(): Promise<{ cfg: Partial<ConnectConfig>; tried: string[] }> {
    const { identityFile, passphrase, password, agent } = this.opts;
    const cfg: Partial<ConnectConfig> = {};
    const tried: string[] = [];
    const methods: ('publickey' | 'agent' | 'password')[] = [];
    if (identityFile) {
      let key: Buffer;
      try {
        key = await readFile(identityFile);
      } catch (err) {
        throw new TransportError(
          'auth',
          this.name,
          `cannot read identityFile ${identityFile}: ${(err as Error).message}`,
          'check identityFile for this node in the inventory (path and permissions)',
        );
      }
      const parsed = sshUtils.parseKey(key, passphrase);
      if (parsed instanceof Error) {
        const msg = parsed.message;
        if (/no passphrase given/i.test(msg)) {
          throw new TransportError(
            'auth',
            this.name,
            `identityFile ${identityFile} is encrypted and no passphrase was given`,
            'set passphraseEnv for this node in the inventory to the name of an environment variable holding the passphrase',
          );
        }
        if (/passphrase|bad decrypt|integrity check/i.test(msg)) {
          throw new TransportError(
            'auth',
            this.name,
            `cannot decrypt identityFile ${identityFile}: wrong passphrase (${msg})`,
            'check the environment variable named by passphraseEnv for this node',
          );
        }
        throw new TransportError('auth', this.name, `cannot parse identityFile ${identityFile}: ${msg}`);
      }
      cfg.privateKey = key;
      if (passphrase !== undefined) cfg.passphrase = passphrase;
      methods.push('publickey');
      tried.push(`key file ${identityFile}`);
    }
    if (agent) {
      cfg.agent = agent;
      methods.push('agent');
      tried.push(`ssh-agent ${agent}`);
    }
    if (password !== undefined) {
      cfg.password = password;
      methods.push('password');
      tried.push('password');
    }
    if (methods.length === 0) {
      throw new TransportError(
        'auth',
        this.name,
        `no SSH authentication method configured for ${this.user}@${this.endpoint}`,
        'set identityFile, an ssh-agent (SSH_AUTH_SOCK) or passwordEnv for this node in the inventory',
      );
    }
    cfg.authHandler = methods;
    return { cfg, tried };
  }

  /** One attempt, given `leftMs` of the connect deadline (`timeoutMs` in all; `attempt` counts from 1, for the message). */
  private connectOnce(auth: { cfg: Partial<ConnectConfig>; tried: string[] }, leftMs: number, timeoutMs: number, attempt: number): Promise<Conn> {
    const timedOut = (): TransportError =>
      this.unreachable(
        `no SSH answer within ${seconds(timeoutMs)} (connect timeout${attempt > 1 ? `, ${attempt} attempts` : ''}): ` +
          'the port accepts connections but no SSH handshake completed',
      );
    return new Promise<Conn>((resolve, reject) => {
      const client = new Client();
      const conn: Conn = { client, closed: false };
      let settled = false;
      let hostKeyError: TransportError | undefined;
      const fail = (err: TransportError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        reject(err);
        client.end();
        setTimeout(() => client.destroy(), 1000).unref();
      };
      this.cancelConnect = () => fail(this.unreachable('the connection was closed while connecting'));
      // The one deadline: covers a hung TCP connect, the handshake and authentication (ssh2's own readyTimeout,
      // set a little later, only backs it up).
      const guard = setTimeout(() => fail(timedOut()), leftMs);
      client.on('ready', () => {
        if (settled) {
          client.end();
          return;
        }
        settled = true;
        clearTimeout(guard);
        resolve(conn);
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        if (!settled) {
          fail(hostKeyError ?? (err.level === 'client-timeout' ? timedOut() : this.mapConnectError(err, auth.tried)));
        } else {
          conn.lostReason = err.message;
        }
      });
      client.on('close', () => {
        conn.closed = true;
        if (this.conn === conn) this.conn = undefined;
        fail(hostKeyError ?? this.unreachable('connection closed by the server during the SSH handshake'));
      });
      const config: ConnectConfig = {
        ...auth.cfg,
        host: this.host,
        port: this.port,
        username: this.user,
        readyTimeout: Math.ceil(leftMs) + 1000,
        keepaliveInterval: this.opts.keepaliveIntervalMs ?? 15_000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
          this.knownHosts.verify(this.host, this.port, key, this.name).then(
            () => verify(true),
            (err: unknown) => {
              hostKeyError =
                err instanceof TransportError
                  ? err
                  : new TransportError(
                      'hostkey',
                      this.name,
                      `cannot verify the host key of ${this.endpoint} against ${this.opts.knownHostsFile}: ${(err as Error).message}`,
                    );
              verify(false);
            },
          );
        },
      };
      try {
        client.connect(config);
      } catch (err) {
        fail(new TransportError('protocol', this.name, `cannot start SSH connection to ${this.endpoint}: ${(err as Error).message}`));
      }
    });
  }

  private unreachable(reason: string): TransportError {
    return new TransportError(
      'unreachable',
      this.name,
      `cannot reach ${this.endpoint}: ${reason}`,
      'check that the node is up, the address/port in the inventory, and that sshd is running',
    );
  }

  private mapConnectError(err: Error & { level?: string; code?: string }, tried: string[]): TransportError {
    const level = err.level ?? '';
    if (level === 'client-authentication' || level === 'agent') {
      return new TransportError(
        'auth',
        this.name,
        `SSH authentication failed for ${this.user}@${this.endpoint} (tried: ${tried.join(', ')})`,
        `make sure the public key is in ~${this.user}/.ssh/authorized_keys on the node, or fix user/identityFile/passwordEnv in the inventory`,
      );
    }
    if (level === 'client-dns') return this.unreachable(`${err.code ?? 'DNS error'}: ${err.message}`);
    if (level === 'client-socket') {
      if (err.code && RETRYABLE_SOCKET_CODES.has(err.code)) return this.unreachable(`${err.code} (${err.message})`);
      return this.unreachable(err.message);
    }
    return new TransportError('protocol', this.name, `SSH handshake with ${this.endpoint} failed: ${err.message}`);
  }

  // ---------------------------------------------------------------- exec

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.execInternal(argv, opts, {});
  }

  private async execInternal(
    argv: readonly string[],
    opts: ExecOptions,
    internal: { bypassQueue?: boolean; noKill?: boolean },
  ): Promise<ExecResult> {
    if (argv.length === 0) throw new TypeError('exec: empty argv');
    const secrets = [...this.secrets, ...(opts.secrets ?? [])];
    const wire = this.wrap(shJoin(argv), opts);
    if (opts.signal?.aborted) throw this.interrupted(opts.signal, wire, secrets);
    if (!internal.bypassQueue) await this.sem.acquire();
    let released = !!internal.bypassQueue;
    // The slot is held until the channel is really closed (a timed-out command may take a moment).
    const release = (): void => {
      if (released) return;
      released = true;
      this.sem.release();
    };
    if (opts.signal?.aborted) {
      release();
      throw this.interrupted(opts.signal, wire, secrets);
    }
    const run = await this.runChannel(wire, opts, secrets, release, !!internal.noKill);
    if (wire.sudo && !run.started && (run.code !== 0 || run.wrongSudoPassword)) throw this.sudoError(run);
    const { started: _s, wrongSudoPassword: _w, ...result } = run;
    return result;
  }

  /**
   * The wire command first prints the login shell's PID ($$ is the session and process-group
   * leader: sshd runs each session under setsid()), so a timed-out command's whole process group
   * can be killed even where sshd ignores "signal" requests (root logins). Through sudo, the inner
   * shell then prints a ready marker: seeing it means sudo let the command run.
   */
  private wrap(joined: string, opts: ExecOptions): Wire {
    const tag = randomBytes(6).toString('hex');
    const pidMarker = `kubelab-pid-${tag}:`;
    const head = `printf '%s\\n' "${pidMarker}$$" >&2; `;
    if (this.user === 'root' || opts.asLoginUser) {
      return { command: head + joined, display: joined, pidMarker, sudo: false };
    }
    const readyMarker = `kubelab-sudo-ok-${tag}`;
    const inner = shQuote(`printf '%s\\n' ${readyMarker} >&2; ${joined}`);
    if (this.opts.sudoPassword === undefined) {
      return {
        command: `${head}sudo -n -- sh -c ${inner}`,
        display: `sudo -n -- sh -c ${shQuote(joined)}`,
        pidMarker,
        readyMarker,
        sudo: true,
      };
    }
    // The password goes on stdin only after sudo has printed this prompt, so it never ends up in
    // the command's stdin (NOPASSWD / cached credentials), and a wrong password is not retried
    // with the caller's stdin data.
    const prompt = `[kubelab-sudo-pw-${tag}]`;
    return {
      command: `${head}sudo -S -p ${shQuote(prompt)} -- sh -c ${inner}`,
      display: `sudo -S -- sh -c ${shQuote(joined)}`,
      pidMarker,
      readyMarker,
      prompt,
      sudo: true,
    };
  }

  private sudoError(run: RawRun): TransportError {
    const err = run.stderr;
    if (run.wrongSudoPassword || /incorrect password|Sorry, try again|no password was provided/i.test(err)) {
      return new TransportError(
        'sudo',
        this.name,
        `sudo on ${this.name} rejected the password for ${this.user}`,
        'check the environment variable named by sudoPasswordEnv for this node',
      );
    }
    if (/password is required/i.test(err)) {
      return new TransportError(
        'sudo',
        this.name,
        `sudo on ${this.name} requires a password for ${this.user}`,
        `set sudoPasswordEnv for this node in the inventory, or allow passwordless sudo on the node: ` +
          `echo '${this.user} ALL=(ALL) NOPASSWD: ALL' | sudo tee /etc/sudoers.d/${this.user}`,
      );
    }
    if (run.code === 127 || /sudo: (command )?not found/.test(err)) {
      return new TransportError(
        'sudo',
        this.name,
        `sudo is not installed on ${this.name} (${firstLine(err)})`,
        `install sudo on the node, or log in as root (user: root)`,
      );
    }
    if (/not in the sudoers|not allowed to (execute|run)|may not run sudo/i.test(err)) {
      return new TransportError(
        'sudo',
        this.name,
        `${this.user} may not use sudo on ${this.name}: ${firstLine(err)}`,
        `grant ${this.user} sudo rights (e.g. a file in /etc/sudoers.d/), or log in as root`,
      );
    }
    return new TransportError('sudo', this.name, `sudo failed on ${this.name} (exit ${run.code}): ${firstLine(err)}`);
  }

  private record(command: string, code: number, durationMs: number, out: Logged, err: Logged, secrets: string[]): void {
    const logger = this.opts.logger;
    if (!logger) return;
    const entry: CommandRecord = {
      host: this.name,
      command: redact(command, secrets),
      code,
      durationMs,
      stdout: redact(out.text, secrets),
      stderr: redact(err.text, secrets),
      ...(out.file ? { stdoutFile: out.file } : {}),
      ...(err.file ? { stderrFile: err.file } : {}),
    };
    try {
      logger.record(entry, secrets);
    } catch {
      // a broken logger must not break the run
    }
  }

  /**
   * Opens an exec channel. The exit status is captured in the callback itself: a fast command's 'exit' event
   * can fire before a promise continuation attaches its listener, and would be lost (exit code -1).
   */
  private openChannel(conn: Conn, command: string): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      try {
        conn.client.exec(command, (err, ch) => {
          if (err) return reject(err);
          ch.once('exit', (code: number | null, signal?: string) => this.channelExits.set(ch, code ?? signalExitCode(signal)));
          resolve(ch);
        });
      } catch (err) {
        reject(err as Error);
      }
    });
  }

  /** Kill a timed-out or interrupted command's process group from a separate session (TERM, then KILL). */
  private killGroup(pid: number, asLoginUser: boolean): void {
    const script = `kill -s TERM -- -${pid} 2>/dev/null || exit 0; sleep 0.3; kill -s KILL -- -${pid} 2>/dev/null; exit 0`;
    const killing = this.execInternal(['sh', '-c', script], { asLoginUser, timeoutMs: 5000 }, { bypassQueue: true, noKill: true })
      .catch(() => undefined)
      .finally(() => this.killing.delete(killing));
    this.killing.add(killing);
  }

  private interrupted(signal: AbortSignal, wire: Wire, secrets: string[]): TransportError {
    return new TransportError(
      'interrupted',
      this.name,
      `command interrupted (${abortReason(signal)}) on ${this.name}: ${redact(shortCommand(wire.display), secrets)}`,
    );
  }

  /** Runs one command; calls release() exactly once, when the channel is gone. */
  private async runChannel(
    wire: Wire,
    opts: ExecOptions,
    secrets: string[],
    release: () => void,
    noKill: boolean,
  ): Promise<RawRun> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    let conn: Conn;
    try {
      // an interrupt while still connecting (a silent host) gives the command up at once, not at the connect timeout
      conn = await raceAbort(this.getConn(), opts.signal, () => this.interrupted(opts.signal!, wire, secrets));
    } catch (err) {
      release();
      throw err;
    }
    const timeoutMs = opts.timeoutMs;
    // Output is kept bounded in memory; a large one is streamed whole (redacted) into the run's log folder.
    let ch: ClientChannel | undefined;
    const lagging = new Set<OutputCapture>();
    const capture = (spillDir: string | undefined): OutputCapture => {
      const c: OutputCapture = new OutputCapture({
        keepBytes: Math.max(1, opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES),
        spillDir,
        secrets,
        flow: (go) => {
          if (go) lagging.delete(c);
          else lagging.add(c);
          if (!ch) return;
          if (lagging.size > 0) {
            ch.pause();
            ch.stderr.pause();
          } else {
            ch.resume();
            ch.stderr.resume();
          }
        },
      });
      return c;
    };
    const spillDir = opts.spillDir ?? this.opts.logger?.spillDir;
    const stdoutCapture = capture(opts.logStdout === false ? undefined : spillDir);
    const stderrCapture = capture(spillDir);
    const collected = async (): Promise<{ out: CapturedOutput; err: CapturedOutput }> => {
      const [out, err] = await Promise.all([stdoutCapture.finish(), stderrCapture.finish()]);
      return { out, err };
    };

    return new Promise<RawRun>((resolve, reject) => {
      let done = false;
      /** Why the command is being stopped: its timeout, or the run's interrupt (opts.signal). */
      let stopped: 'timeout' | 'interrupted' | undefined;
      let killed = false;
      let groupKilled = false;
      let exitCode: number | undefined;
      let wrongSudoPassword = false;
      let pid: number | undefined;
      let ready = false;
      let pre: Buffer = Buffer.alloc(0); // stderr before the markers were seen (sudo prompts/messages)
      let promptsSeen = 0;
      const timers: NodeJS.Timeout[] = [];

      const stripPrompts = (buf: Buffer): Buffer => {
        if (!wire.prompt || buf.indexOf(wire.prompt) === -1) return buf;
        return Buffer.from(buf.toString('utf8').split(wire.prompt).join(''), 'utf8');
      };
      const finish = (fn: () => void): void => {
        if (done) return;
        done = true;
        for (const t of timers) clearTimeout(t);
        opts.signal?.removeEventListener('abort', onAbort);
        if (!ready && pre.length > 0) stderrCapture.push(stripPrompts(pre));
        pre = Buffer.alloc(0);
        fn();
      };
      const onStopped = async (): Promise<void> => {
        const { out, err } = await collected();
        this.record(wire.display, -1, elapsed(), logged(out, opts.logStdout), logged(err), secrets);
        reject(
          stopped === 'interrupted' && opts.signal
            ? this.interrupted(opts.signal, wire, secrets)
            : new TransportError(
                'timeout',
                this.name,
                `command timed out after ${timeoutMs}ms on ${this.name}: ${redact(shortCommand(wire.display), secrets)}`,
              ),
        );
      };
      // Called on timeout / interrupt / wrong sudo password, and again once the PID is known.
      const kill = (): void => {
        if (!ch) return;
        const c = ch;
        // sshd honours "signal" only for non-root logins (privilege separation); the process
        // group kill from a second session covers the rest. Then KILL and close the channel.
        if (pid && !groupKilled && !noKill && !wrongSudoPassword) {
          groupKilled = true;
          this.killGroup(pid, !wire.sudo);
        }
        if (killed) return;
        killed = true;
        sendSignal(c, 'TERM');
        timers.push(
          setTimeout(() => {
            sendSignal(c, 'KILL');
            try {
              c.close();
            } catch {
              /* ignore */
            }
          }, 500),
        );
      };

      const stop = (why: 'timeout' | 'interrupted'): void => {
        if (stopped || done) return;
        stopped = why;
        kill();
        // Do not wait forever for a channel that will not close.
        timers.push(
          setTimeout(
            () => {
              finish(() => void onStopped());
              setTimeout(release, 10_000).unref();
            },
            ch ? 2000 : 0,
          ),
        );
      };
      const onAbort = (): void => stop('interrupted');
      if (timeoutMs !== undefined && timeoutMs > 0) timers.push(setTimeout(() => stop('timeout'), Math.min(timeoutMs, MAX_TIMER_MS)));
      opts.signal?.addEventListener('abort', onAbort, { once: true });

      const writeStdin = (c: ClientChannel): void => {
        if (opts.stdin !== undefined && opts.stdin.length > 0) c.write(opts.stdin);
        c.end();
      };

      const onStderr = (c: ClientChannel, data: Buffer): void => {
        if (ready) {
          stderrCapture.push(data);
          return;
        }
        pre = pre.length === 0 ? data : Buffer.concat([pre, data]);
        if (pid === undefined) {
          const at = pre.indexOf(wire.pidMarker);
          if (at === -1) return;
          const nl = pre.indexOf(0x0a, at);
          if (nl === -1) return;
          const n = Number(pre.subarray(at + wire.pidMarker.length, nl).toString('latin1'));
          pid = Number.isInteger(n) && n > 1 ? n : 0;
          pre = Buffer.concat([pre.subarray(0, at), pre.subarray(nl + 1)]);
          if (stopped || wrongSudoPassword) kill();
          if (!wire.readyMarker) {
            ready = true;
            if (pre.length > 0) stderrCapture.push(pre);
            pre = Buffer.alloc(0);
            return;
          }
        }
        if (wire.prompt) {
          let count = 0;
          for (let i = pre.indexOf(wire.prompt); i !== -1; i = pre.indexOf(wire.prompt, i + 1)) count++;
          if (count > promptsSeen) {
            promptsSeen = count;
            if (count === 1) {
              c.write(`${this.opts.sudoPassword ?? ''}\n`);
            } else {
              // sudo asked again: the password was wrong. Do not feed it anything else.
              wrongSudoPassword = true;
              kill();
            }
          }
        }
        const marker = `${wire.readyMarker}\n`;
        const at = pre.indexOf(marker);
        if (at !== -1) {
          ready = true;
          const rest = Buffer.concat([pre.subarray(0, at), pre.subarray(at + marker.length)]);
          pre = Buffer.alloc(0);
          if (rest.length > 0) stderrCapture.push(stripPrompts(rest));
          if (wire.prompt) writeStdin(c);
        }
      };

      this.openChannel(conn, wire.command).then(
        (channel) => {
          channel.once('close', release);
          if (done) {
            channel.close();
            return;
          }
          ch = channel;
          if (lagging.size > 0) {
            channel.pause();
            channel.stderr.pause();
          }
          channel.on('data', (d: Buffer) => stdoutCapture.push(d));
          channel.stderr.on('data', (d: Buffer) => onStderr(channel, d));
          // ssh2's 'close' waits for stdout's end, not stderr's: stderr held back while a large output is written
          // to its file would be lost without this
          const stderrEnded = ended(channel.stderr);
          channel.on('exit', (code: number | null, signal?: string) => {
            exitCode = code ?? signalExitCode(signal);
          });
          // the command may have finished before this continuation ran (see openChannel)
          if (this.channelExits.has(channel)) exitCode = this.channelExits.get(channel);
          channel.on('error', () => {
            /* surfaced through close */
          });
          channel.on('close', () => {
            finish(async () => {
              if (stopped) return onStopped();
              const durationMs = elapsed();
              await stderrEnded;
              const { out, err } = await collected();
              if (exitCode === undefined && conn.closed && !wrongSudoPassword) {
                this.record(wire.display, -1, durationMs, logged(out, opts.logStdout), logged(err), secrets);
                reject(
                  this.unreachable(
                    `connection lost while running: ${redact(shortCommand(wire.display), secrets)}` +
                      (conn.lostReason ? ` (${conn.lostReason})` : ''),
                  ),
                );
                return;
              }
              const code = exitCode ?? -1;
              this.record(wire.display, code, durationMs, logged(out, opts.logStdout), logged(err), secrets);
              resolve({
                stdout: out.text,
                stderr: err.text,
                code,
                durationMs,
                ...(out.cut ? { stdoutCut: out.cut } : {}),
                ...(err.cut ? { stderrCut: err.cut } : {}),
                ...(out.file ? { stdoutFile: out.file } : {}),
                ...(err.file ? { stderrFile: err.file } : {}),
                started: ready,
                wrongSudoPassword,
              });
            });
          });
          if (stopped) kill();
          // Without a sudo password nothing else reads stdin first: write it right away.
          if (!wire.prompt) writeStdin(channel);
        },
        (err: Error) => {
          release();
          finish(() => {
            if (stopped) return onStopped();
            if (conn.closed) {
              reject(this.unreachable(`connection lost (${conn.lostReason ?? err.message})`));
            } else {
              reject(new TransportError('protocol', this.name, `cannot open an SSH session on ${this.endpoint}: ${err.message}`));
            }
          });
        },
      );
    });
  }

  // ---------------------------------------------------------------- put

  private openSftp(conn: Conn): Promise<SFTPWrapper> {
    return new Promise((resolve, reject) => {
      conn.client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp)));
    });
  }

  async put(content: string | Buffer, dest: string, opts: PutOptions): Promise<void> {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    await this.upload(dest, opts, (sftp, tmp) =>
      new Promise<void>((resolve, reject) => {
        sftp.writeFile(tmp, data, { mode: 0o600, flag: 'wx' }, (err) => (err ? reject(err) : resolve()));
      }),
    );
  }

  /** Like put, but streams a local file (SFTP fastPut: parallel chunked writes) instead of holding it in memory. */
  async putFile(localPath: string, dest: string, opts: PutOptions): Promise<void> {
    await this.upload(dest, opts, (sftp, tmp) =>
      new Promise<void>((resolve, reject) => {
        sftp.fastPut(localPath, tmp, { mode: 0o600 }, (err) => (err ? reject(err) : resolve()));
      }),
    );
  }

  /**
   * SFTP into a private temp file (`write`), then an atomic install at dest with mode/owner as root: dest is
   * never a partial file. An interrupt (opts.signal) ends the SFTP session at once (a large upload stops within
   * moments), removes the temp file and throws TransportError('interrupted'); an upload already written is installed.
   */
  private async upload(dest: string, opts: PutOptions, write: (sftp: SFTPWrapper, tmp: string) => Promise<void>): Promise<void> {
    if (!posixPath.isAbsolute(dest)) throw new TypeError(`put: destination must be an absolute path: ${dest}`);
    const secrets = [...this.secrets, ...(opts.secrets ?? [])];
    const rand = randomBytes(8).toString('hex');
    const tmp = `/tmp/.kubelab-${rand}`;
    const { signal } = opts;
    const interrupted = (): TransportError =>
      new TransportError('interrupted', this.name, `upload of ${dest} interrupted (${abortReason(signal!)}) on ${this.name}`);
    if (signal?.aborted) throw interrupted();

    let stopped = false;
    await this.sem.acquire();
    try {
      const conn = await this.getConn();
      let sftp: SFTPWrapper;
      try {
        sftp = await this.openSftp(conn);
      } catch (err) {
        throw conn.closed
          ? this.unreachable(`connection lost (${conn.lostReason ?? (err as Error).message})`)
          : new TransportError('protocol', this.name, `cannot start SFTP on ${this.endpoint}: ${(err as Error).message}`);
      }
      // ending the session fails the transfer's outstanding writes: the write below rejects
      const stop = (): void => {
        stopped = true;
        sftp.end();
      };
      signal?.addEventListener('abort', stop, { once: true });
      try {
        if (signal?.aborted) stop();
        else await write(sftp, tmp);
      } catch (err) {
        if (!stopped) {
          await new Promise<void>((resolve) => sftp.unlink(tmp, () => resolve()));
          throw new TransportError('protocol', this.name, `SFTP upload of ${dest} to ${tmp} failed: ${(err as Error).message}`);
        }
      } finally {
        signal?.removeEventListener('abort', stop);
        sftp.end();
      }
    } finally {
      this.sem.release();
    }
    if (stopped) {
      // the SFTP session is gone: the partial temp file is removed by a command (itself not interruptible: short)
      await this.exec(['rm', '-f', '--', tmp]).catch(() => undefined);
      throw interrupted();
    }

    const mode = (opts.mode & 0o7777).toString(8).padStart(4, '0');
    const stage = `${dest}.kubelab-tmp-${rand}`;
    // owner and mode set on the uploaded file, which is then moved (a rename when /tmp and dest share a file
    // system: no second copy of a large file) beside dest and renamed into place (atomic)
    const owner = `${opts.owner ?? '0'}:${opts.group ?? '0'}`;
    const script = [
      'set -e',
      `trap 'rm -f -- "$1" "$3"' EXIT`,
      `mkdir -p -- ${shQuote(posixPath.dirname(dest))}`,
      `chown -- ${shQuote(owner)} "$1"`,
      `chmod -- ${mode} "$1"`,
      'mv -f -- "$1" "$3"',
      'mv -f -- "$3" "$2"',
    ].join('\n');
    const res = await this.exec(['sh', '-c', script, 'kubelab-put', tmp, dest, stage], { secrets: opts.secrets });
    if (res.code !== 0) {
      throw new TransportError(
        'protocol',
        this.name,
        `installing ${dest} on ${this.name} failed (exit ${res.code}): ${redact(res.stderr.trim(), secrets)}`,
      );
    }
  }

  // ---------------------------------------------------------------- forward

  async forward(remoteHost: string, remotePort: number): Promise<Forward> {
    await this.getConn();
    const sockets = new Set<net.Socket>();
    // allowHalfOpen: a client that shuts down its sending side still gets the whole response.
    const server = net.createServer({ allowHalfOpen: true }, (sock) => {
      sockets.add(sock);
      sock.on('error', () => sock.destroy());
      sock.on('close', () => sockets.delete(sock));
      this.getConn().then(
        (conn) => {
          conn.client.forwardOut(sock.remoteAddress ?? '127.0.0.1', sock.remotePort ?? 0, remoteHost, remotePort, (err, ch) => {
            if (err) {
              sock.destroy();
              return;
            }
            if (sock.destroyed) {
              ch.close();
              return;
            }
            ch.on('error', () => sock.destroy());
            // pipe() ends the socket after the last data; a close without EOF still ends it.
            ch.on('close', () => sock.end());
            sock.on('close', () => ch.close());
            sock.pipe(ch).pipe(sock);
          });
        },
        () => sock.destroy(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as net.AddressInfo;
    let closed: Promise<void> | undefined;
    const fwd: Forward = {
      localPort: addr.port,
      close: () => {
        closed ??= new Promise<void>((resolve) => {
          this.forwards.delete(fwd);
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        });
        return closed;
      },
    };
    this.forwards.add(fwd);
    return fwd;
  }

  // ---------------------------------------------------------------- close

  async close(): Promise<void> {
    this.generation++;
    await Promise.allSettled([...this.killing]);
    await Promise.all([...this.forwards].map((f) => f.close()));
    this.cancelConnect?.();
    const pending = this.connecting;
    if (pending) await pending.catch(() => undefined);
    const conn = this.conn;
    this.conn = undefined;
    if (!conn || conn.closed) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        conn.client.destroy();
        resolve();
      }, 2000);
      conn.client.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      conn.client.end();
    });
  }
}

/**
 * ssh2's Channel.signal() only sends while our side of the channel is writable, i.e. not after
 * stdin was closed, which is always the case here. A "signal" channel request after EOF is valid
 * SSH (RFC 4254 6.9), so send it through the protocol object directly when possible.
 */
function sendSignal(ch: ClientChannel, name: string): void {
  const raw = ch as unknown as {
    type?: string;
    outgoing?: { id?: number; state?: string };
    _client?: { _protocol?: { signal?: (id: number, name: string) => void } };
  };
  try {
    const proto = raw._client?._protocol;
    const id = raw.outgoing?.id;
    const state = raw.outgoing?.state;
    if (raw.type === 'session' && proto?.signal && typeof id === 'number' && (state === 'open' || state === 'eof')) {
      proto.signal(id, name);
    } else {
      ch.signal(name);
    }
  } catch {
    // best effort: the channel is closed afterwards anyway
  }
}

/** Resolves once a readable stream has ended (or was destroyed), at once when it already has. */
function ended(stream: NodeJS.ReadableStream): Promise<void> {
  const r = stream as NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean };
  if (r.readableEnded || r.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    r.once('end', () => resolve());
    r.once('close', () => resolve());
  });
}

/** What the command log shows of one output stream: inline text, or the file holding it (see output.ts). */
interface Logged {
  text: string;
  file?: string;
}

function logged(c: CapturedOutput, log = true): Logged {
  if (!log) return { text: c.total ? `<not logged: ${c.total} bytes>` : '' };
  if (c.file) return { text: '', file: c.file };
  return { text: c.cut ? `[... ${c.cut} bytes cut]\n${c.text}` : c.text };
}

function shortCommand(cmd: string): string {
  const oneLine = cmd.replace(/\s+/g, ' ');
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine;
}
