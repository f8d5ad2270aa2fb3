/**
 * MuxTransport: a Transport whose exec/put/forward go through the cluster's connection keeper daemon
 * (mux-daemon.ts), which holds the SSH connections between CLI invocations (like OpenSSH's ControlPersist).
 *
 * - One MuxClient per CLI run: on first use it connects to <stateDir>/mux.sock (see muxSocketPath) and says
 *   hello with a fingerprint of every node's settings. A daemon with other settings (changed inventory or
 *   credentials, another kubelab build) is told to exit and a new one is started detached, its settings
 *   (secrets included) written to its stdin.
 * - exec, put (content sent base64) and forward (the daemon listens on 127.0.0.1 and tunnels; the forward
 *   lives as long as this client's socket) all go through the daemon. TransportErrors come back with their
 *   kind, host, message and hint.
 * - The daemon sends back the command records of this run's commands; they go into this run's RunLogs.
 * - When the daemon cannot be started or reached, each transport falls back to a direct SshTransport (loaded
 *   with a dynamic import, so ssh2 is not loaded at all while the daemon serves) and notes why in the host log.
 *   A daemon lost in the middle of a command fails that command (kind 'protocol': it may or may not have
 *   run); later commands go direct.
 *
 * Deliberately light: no ssh2 import here.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';

import {
  lineReader,
  MUX_DAEMON_FILE,
  MUX_PROTOCOL,
  muxBuildId,
  muxSocketPath,
  nodeSettingsHash,
  type MuxDaemonSettings,
  type MuxNodeSettings,
  type MuxRequest,
  type MuxResponse,
  type MuxServerMessage,
  type WireError,
  type WireExecOptions,
} from './mux-protocol.js';
import { putLocalFile } from './put-file.js';
import {
  TransportError,
  type CommandLogger,
  type ExecOptions,
  type ExecResult,
  type Forward,
  type PutOptions,
  type Transport,
} from './types.js';

export { muxSocketPath, type MuxNodeSettings } from './mux-protocol.js';
import { abortReason } from '../util/abort.js';

/** The run's logs: command records, and free-form notes (why a host went direct). */
interface MuxLogger extends CommandLogger {
  note(host: string, text: string): void;
}

type OkResponse = Extract<MuxResponse, { ok: true }>;
type DistOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Body = DistOmit<MuxRequest, 'id'>;

function toError(e: WireError, node: string): Error {
  if (e.name === 'TransportError' && e.kind) return new TransportError(e.kind, e.host ?? node, e.message, e.hint);
  if (e.name === 'TypeError') return new TypeError(e.message);
  return new Error(e.message);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what} timed out after ${ms}ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

/** One socket connection to the daemon, with requests in flight matched by id. */
class MuxConnection {
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve: (r: OkResponse) => void; reject: (e: Error) => void; node: string; secrets?: string[] }
  >();
  private lost: string | undefined;

  constructor(
    private readonly sock: net.Socket,
    private readonly logger: CommandLogger | undefined,
    private readonly onLost: (reason: string) => void,
  ) {
    sock.on('data', lineReader((line) => this.onLine(line)));
    sock.on('error', (err) => this.fail(`mux socket error: ${err.message}`));
    sock.on('close', () => this.fail('the mux daemon closed the connection'));
  }

  get closed(): boolean {
    return this.lost !== undefined;
  }

  /** `signal`: when it aborts, the daemon is asked to interrupt the request (a 'cancel'); the answer still comes. */
  request(body: Body, node = '', secrets?: string[], signal?: AbortSignal): Promise<OkResponse> {
    if (this.lost) return Promise.reject(this.lostError(node));
    const id = ++this.nextId;
    const cancel = (): void => {
      if (!this.lost && this.pending.has(id)) this.send({ op: 'cancel', ref: id, reason: signal ? abortReason(signal) : 'aborted' });
    };
    signal?.addEventListener('abort', cancel, { once: true });
    return new Promise<OkResponse>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, node, secrets });
      this.sock.write(`${JSON.stringify({ ...body, id })}\n`);
    }).finally(() => signal?.removeEventListener('abort', cancel));
  }

  /** A request whose answer nobody waits for. */
  private send(body: Body): void {
    this.sock.write(`${JSON.stringify({ ...body, id: ++this.nextId })}\n`);
  }

  close(): void {
    this.lost ??= 'closed';
    this.sock.end();
    this.sock.unref();
    setTimeout(() => this.sock.destroy(), 1000).unref();
  }

  destroy(): void {
    this.lost ??= 'closed';
    this.sock.destroy();
  }

  private lostError(node: string): TransportError {
    return new TransportError(
      'protocol',
      node,
      `the kubelab connection keeper (mux daemon) went away: ${this.lost ?? 'closed'}; the command may or may not have run`,
      'run again (later commands connect directly); KUBELAB_PERSIST=0 disables the connection keeper',
    );
  }

  private fail(reason: string): void {
    if (this.lost === undefined) {
      this.lost = reason;
      this.onLost(reason);
    }
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(this.lostError(p.node));
    }
  }

  private onLine(line: string): void {
    let msg: MuxServerMessage;
    try {
      msg = JSON.parse(line) as MuxServerMessage;
    } catch {
      this.destroy();
      this.fail('malformed message from the mux daemon');
      return;
    }
    if ('log' in msg) {
      const secrets = msg.id === undefined ? undefined : this.pending.get(msg.id)?.secrets;
      try {
        this.logger?.record(msg.log, secrets);
      } catch {
        // a broken logger must not break the run
      }
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg);
    else p.reject(toError(msg.error, p.node));
  }
}

interface MuxClientOptions {
  stateDir: string;
  knownHostsFile: string;
  /** Seconds the daemon stays after the last client (> 0). */
  idleSeconds: number;
  /** Every node this run may talk to through the daemon. */
  nodes: MuxNodeSettings[];
  /** The daemon's whole environment (Settings.daemonEnv: PATH, HOME, LANG); nothing else is passed. */
  daemonEnv: Readonly<Record<string, string>>;
  /** Time allowed for starting the daemon. Default 10000. */
  startTimeoutMs?: number;
}

type MuxBackend = { conn: MuxConnection; pid: number } | { reason: string };

/** The run's link to the daemon: opened on first use, shared by the run's MuxTransports. */
export class MuxClient {
  readonly socket: string;
  private opening: Promise<MuxBackend> | undefined;
  private conn: MuxConnection | undefined;
  private lostReason: string | undefined;

  constructor(
    private readonly opts: MuxClientOptions,
    private readonly logger?: CommandLogger,
  ) {
    this.socket = muxSocketPath(opts.stateDir);
  }

  /** The daemon connection, or why there is none (then transports go direct). */
  backend(): Promise<MuxBackend> {
    if (this.lostReason) return Promise.resolve({ reason: this.lostReason });
    this.opening ??= this.open().catch((err: unknown) => ({ reason: err instanceof Error ? err.message : String(err) }));
    return this.opening;
  }

  /** Ends this run's connection (the daemon keeps the SSH connections); a later use connects again. */
  async close(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    this.opening = undefined;
    this.lostReason = undefined;
    conn?.close();
  }

  private async open(): Promise<MuxBackend> {
    const hashes = Object.fromEntries(this.opts.nodes.map((n) => [n.name, nodeSettingsHash(n, this.opts.knownHostsFile)]));
    const build = muxBuildId();
    const hello = (c: MuxConnection): Promise<OkResponse> =>
      withTimeout(
        c.request({ op: 'hello', v: MUX_PROTOCOL, build, nodes: hashes, idleSeconds: this.opts.idleSeconds }),
        5000,
        'hello to the mux daemon',
      );

    let conn = await this.connect();
    if (conn) {
      try {
        const h = await hello(conn);
        if (h.match) return this.use(conn, h.pid ?? 0);
        // Other settings: that daemon drains its own clients and exits; ours starts fresh.
        await withTimeout(conn.request({ op: 'exit' }), 5000, 'asking the old mux daemon to exit').catch(() => undefined);
      } catch {
        /* a daemon that does not answer: start our own (it replaces a dead socket) */
      }
      conn.destroy();
    }
    await this.startDaemon();
    conn = await this.connect();
    if (!conn) throw new Error(`the mux daemon started but ${this.socket} does not accept connections`);
    const h = await hello(conn).catch((err: unknown) => {
      conn?.destroy();
      throw err;
    });
    if (!h.match) {
      conn.destroy();
      throw new Error(`the mux daemon at ${this.socket} has other settings (${h.reason ?? '?'})`);
    }
    return this.use(conn, h.pid ?? 0);
  }

  private use(conn: MuxConnection, pid: number): MuxBackend {
    this.conn = conn;
    return { conn, pid };
  }

  /** A connection, or undefined when no daemon listens (no socket, stale socket, not a socket). */
  private connect(): Promise<MuxConnection | undefined> {
    return new Promise((resolve) => {
      const sock = net.connect(this.socket);
      const t = setTimeout(() => {
        sock.destroy();
        resolve(undefined);
      }, 2000);
      sock.once('connect', () => {
        clearTimeout(t);
        sock.removeAllListeners('error');
        const conn: MuxConnection = new MuxConnection(sock, this.logger, (reason) => {
          // Only the connection in use matters (not an old daemon's we were told to replace).
          if (this.conn === conn) this.lostReason ??= reason;
        });
        resolve(conn);
      });
      sock.once('error', () => {
        clearTimeout(t);
        resolve(undefined);
      });
    });
  }

  /** Starts the daemon detached; resolves once it listens (or another one already does). */
  private async startDaemon(): Promise<void> {
    const { stateDir, daemonEnv } = this.opts;
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const settings: MuxDaemonSettings = {
      v: MUX_PROTOCOL,
      socket: this.socket,
      stateDir,
      knownHostsFile: this.opts.knownHostsFile,
      idleSeconds: this.opts.idleSeconds,
      nodes: this.opts.nodes,
    };
    // Its own diagnostics (start, exit reason; never secrets) go to <stateDir>/mux.log.
    const logFd = openSync(join(stateDir, 'mux.log'), 'a', 0o600);
    let child;
    try {
      child = spawn(process.execPath, [MUX_DAEMON_FILE], {
        detached: true,
        stdio: ['pipe', 'pipe', logFd],
        cwd: '/',
        env: { ...daemonEnv },
      });
    } finally {
      closeSync(logFd);
    }
    const proc = child;
    const answer = new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout!.setEncoding('utf8');
      proc.stdout!.on('data', (d: string) => {
        out += d;
        const nl = out.indexOf('\n');
        if (nl !== -1) resolve(out.slice(0, nl));
      });
      proc.once('error', reject);
      proc.once('exit', (code, signal) => reject(new Error(`the mux daemon exited at start (${code ?? signal}); see ${join(stateDir, 'mux.log')}`)));
    });
    proc.stdin!.on('error', () => undefined);
    proc.stdin!.end(JSON.stringify(settings));
    try {
      const line = await withTimeout(answer, this.opts.startTimeoutMs ?? 10_000, 'starting the mux daemon');
      if (line.startsWith('error ')) throw new Error(`the mux daemon could not start: ${line.slice(6)}`);
      if (!line.startsWith('ready ') && line !== 'exists') throw new Error(`unexpected answer from the mux daemon: ${line}`);
    } catch (err) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      throw err;
    } finally {
      proc.removeAllListeners('exit');
      proc.removeAllListeners('error');
      proc.stdout!.destroy();
      proc.stdin!.destroy();
      proc.unref();
    }
  }
}

function wireExecOptions(opts: ExecOptions, spillDir: string | undefined): WireExecOptions {
  const w: WireExecOptions = {};
  if (opts.maxOutputBytes !== undefined) w.maxOutputBytes = opts.maxOutputBytes;
  const dir = opts.spillDir ?? spillDir;
  if (dir !== undefined) w.spillDir = resolve(dir);
  if (opts.timeoutMs !== undefined) w.timeoutMs = opts.timeoutMs;
  if (opts.asLoginUser !== undefined) w.asLoginUser = opts.asLoginUser;
  if (opts.secrets !== undefined) w.secrets = opts.secrets;
  if (opts.logStdout !== undefined) w.logStdout = opts.logStdout;
  if (opts.stdin !== undefined) w.stdin = typeof opts.stdin === 'string' ? opts.stdin : { b64: Buffer.from(opts.stdin).toString('base64') };
  return w;
}

/** One node through the daemon (or, when there is none, through a direct SshTransport). */
export class MuxTransport implements Transport {
  readonly name: string;
  private direct: Promise<Transport> | undefined;
  private noted = false;
  private readonly forwards = new Set<Forward>();

  /** client undefined: always direct (a node this run has no settings for in the daemon). */
  constructor(
    private readonly settings: MuxNodeSettings,
    private readonly knownHostsFile: string,
    private readonly client: MuxClient | undefined,
    private readonly logger: MuxLogger,
  ) {
    this.name = settings.name;
  }

  private async via(): Promise<{ conn: MuxConnection } | { direct: Transport }> {
    if (this.direct) return { direct: await this.direct };
    const b = this.client ? await this.client.backend() : { reason: 'not one of this run\'s nodes' };
    if ('conn' in b && !b.conn.closed) {
      if (!this.noted) {
        this.noted = true;
        this.logger.note(this.name, `ssh through the connection keeper (mux daemon pid ${b.pid}, ${this.client!.socket})`);
      }
      return { conn: b.conn };
    }
    const reason = 'reason' in b ? b.reason : 'the mux daemon connection was lost';
    this.direct ??= (async () => {
      this.logger.note(this.name, `mux: ${reason}; connecting directly`);
      const { SshTransport } = await import('./ssh.js');
      return new SshTransport({ ...this.settings, knownHostsFile: this.knownHostsFile, logger: this.logger });
    })();
    return { direct: await this.direct };
  }

  async connect(): Promise<void> {
    const v = await this.via();
    if ('direct' in v) return v.direct.connect();
    await v.conn.request({ op: 'connect', node: this.name }, this.name);
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new TypeError('exec: empty argv');
    const v = await this.via();
    if ('direct' in v) return v.direct.exec(argv, opts);
    if (opts.signal?.aborted) {
      throw new TransportError('interrupted', this.name, `command interrupted (${abortReason(opts.signal)}) on ${this.name} before it started`);
    }
    const body: Body = { op: 'exec', node: this.name, argv: [...argv], opts: wireExecOptions(opts, this.logger.spillDir) };
    const res = await v.conn.request(body, this.name, opts.secrets, opts.signal);
    return res.result!;
  }

  async put(content: string | Buffer, dest: string, opts: PutOptions): Promise<void> {
    const v = await this.via();
    if ('direct' in v) return v.direct.put(content, dest, opts);
    const { signal, ...wire } = opts;
    if (signal?.aborted) throw this.uploadInterrupted(dest, signal);
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    await v.conn.request({ op: 'put', node: this.name, content: data.toString('base64'), dest, opts: wire }, this.name, opts.secrets, signal);
  }

  async putFile(localPath: string, dest: string, opts: PutOptions): Promise<void> {
    const v = await this.via();
    if ('direct' in v) return putLocalFile(v.direct, localPath, dest, opts);
    const { signal, ...wire } = opts;
    if (signal?.aborted) throw this.uploadInterrupted(dest, signal);
    await v.conn.request({ op: 'putFile', node: this.name, localPath: resolve(localPath), dest, opts: wire }, this.name, opts.secrets, signal);
  }

  private uploadInterrupted(dest: string, signal: AbortSignal): TransportError {
    return new TransportError('interrupted', this.name, `upload of ${dest} interrupted (${abortReason(signal)}) on ${this.name} before it started`);
  }

  async forward(remoteHost: string, remotePort: number): Promise<Forward> {
    const v = await this.via();
    if ('direct' in v) return v.direct.forward!(remoteHost, remotePort);
    const conn = v.conn;
    const res = await conn.request({ op: 'forward', node: this.name, host: remoteHost, port: remotePort }, this.name);
    let closed: Promise<void> | undefined;
    const fwd: Forward = {
      localPort: res.localPort!,
      close: () => {
        closed ??= (async () => {
          this.forwards.delete(fwd);
          if (!conn.closed) await conn.request({ op: 'unforward', fid: res.fid! }, this.name).catch(() => undefined);
        })();
        return closed;
      },
    };
    this.forwards.add(fwd);
    return fwd;
  }

  /** Closes this run's forwards (and a direct connection); the daemon keeps its connection. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.forwards].map((f) => f.close()));
    const d = this.direct;
    if (d) await (await d.catch(() => undefined))?.close();
  }
}

/** Asks the cluster's daemon to exit now (tests, cleanup). Resolves true when one answered. */
export async function stopMux(stateDir: string): Promise<boolean> {
  const sock = muxSocketPath(stateDir);
  return new Promise((resolve) => {
    const s = net.connect(sock);
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(3000, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => {
      s.write(`${JSON.stringify({ id: 1, op: 'exit', force: true })}\n`);
      s.on('data', lineReader(() => done(true)));
    });
  });
}
