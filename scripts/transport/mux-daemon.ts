/**
 * The connection keeper daemon ("mux"), kubelab's equivalent of OpenSSH's ControlMaster + ControlPersist: it
 * holds one SshTransport (one ssh2 connection) per node between CLI invocations, so that a run after the
 * first one skips sshd's per-connection cost (fork, key exchange, authentication).
 *
 * Started detached by the CLI (mux-client.ts) as `node dist/scripts/transport/mux-daemon.js`, with nothing on
 * its command line: the node settings, secrets included, arrive as JSON on stdin (MuxDaemonSettings). It
 * listens on a unix socket (0600, in a 0700 directory), answers "ready <pid>" (or "exists" when a live daemon
 * already owns the socket, or "error <message>") on stdout, and exits
 * - after idleSeconds without any client connected (the latest client's KUBELAB_PERSIST),
 * - when a client asks it to (its settings no longer match: the socket is unlinked at once so that a new
 *   daemon can start; clients still connected are served until they disconnect),
 * - when its socket file is removed or replaced (e.g. the state dir was deleted), once no client is connected,
 * - on SIGTERM/SIGINT.
 *
 * Every behaviour of a direct connection stays: commands run through the same SshTransport (sudo, timeouts,
 * host-key pinning in the cluster's known_hosts). Its command records (redacted by SshTransport) are sent
 * back to the client that asked, which writes them into its run's per-host log.
 *
 * This file is its own entry point (not the CLI), so it ends itself with process.exit.
 */
import { chmodSync, lstatSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';

import {
  lineReader,
  muxBuildId,
  MUX_PROTOCOL,
  nodeSettingsHash,
  type MuxDaemonSettings,
  type MuxRequest,
  type MuxServerMessage,
  type StdinWire,
  type WireError,
} from './mux-protocol.js';
import { SshTransport } from './ssh.js';
import { TransportError, type CommandRecord, type ExecOptions, type Forward } from './types.js';
import { KnownHosts } from './known-hosts.js';

/** Prefix of the per-request marker added to ExecOptions.secrets: SshTransport hands it back to the logger. */
const MARK = '\u0000kubelab-mux-request:';

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString()} mux[${process.pid}] ${msg}\n`);
}

function readStdin(timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const t = setTimeout(() => reject(new Error('no settings on stdin')), timeoutMs);
    process.stdin.on('data', (d: Buffer) => chunks.push(d));
    process.stdin.on('end', () => {
      clearTimeout(t);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    process.stdin.on('error', (err) => {
      clearTimeout(t);
      reject(err);
    });
  });
}

function wireError(err: unknown): WireError {
  if (err instanceof TransportError) {
    return { name: 'TransportError', kind: err.kind, host: err.host, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  }
  if (err instanceof TypeError) return { name: 'TypeError', message: err.message };
  return { name: 'Error', message: err instanceof Error ? err.message : String(err) };
}

function stdinOf(s: StdinWire | undefined): string | Buffer | undefined {
  if (s === undefined || typeof s === 'string') return s;
  return Buffer.from(s.b64, 'base64');
}

interface NodeEntry {
  transport: SshTransport;
  hash: string;
}

/** One connected CLI process. */
class Client {
  readonly forwards = new Map<number, Forward>();
  /** This client's exec and upload requests in flight, by request id: a 'cancel', or the client going away, aborts them. */
  readonly inFlight = new Map<number, AbortController>();
  private closed = false;

  constructor(readonly sock: net.Socket) {}

  get gone(): boolean {
    return this.closed || this.sock.destroyed;
  }

  send(msg: MuxServerMessage): void {
    if (this.gone) return;
    this.sock.write(`${JSON.stringify(msg)}\n`);
  }

  async dispose(): Promise<void> {
    this.closed = true;
    // a CLI that went away (Ctrl-C twice, killed) leaves no command of its own running on the nodes
    for (const ac of this.inFlight.values()) ac.abort('the kubelab run that started it ended');
    this.inFlight.clear();
    const fwds = [...this.forwards.values()];
    this.forwards.clear();
    await Promise.allSettled(fwds.map((f) => f.close()));
  }
}

class Daemon {
  private readonly nodes = new Map<string, NodeEntry>();
  private readonly clients = new Set<Client>();
  /** marker -> the client and request a command record belongs to */
  private readonly routes = new Map<string, { client: Client; id: number }>();
  /** node -> the client that used it last (for records without a marker, e.g. a timed-out command's kill) */
  private readonly lastClient = new Map<string, Client>();
  private readonly build = muxBuildId();
  private readonly server: net.Server;
  private idleSeconds: number;
  private idleTimer: NodeJS.Timeout | undefined;
  private watchTimer: NodeJS.Timeout | undefined;
  /** Identity of the socket file we created, so that we never unlink a successor's. */
  private sockId: { dev: number; ino: number } | undefined;
  private draining = false;
  private stopping = false;
  private nextMarker = 0;
  private nextForward = 0;

  constructor(private readonly settings: MuxDaemonSettings) {
    this.idleSeconds = settings.idleSeconds;
    const knownHosts = new KnownHosts(settings.knownHostsFile);
    for (const n of settings.nodes) {
      const transport = new SshTransport({
        name: n.name,
        host: n.host,
        port: n.port,
        user: n.user,
        identityFile: n.identityFile,
        passphrase: n.passphrase,
        password: n.password,
        agent: n.agent,
        sudoPassword: n.sudoPassword,
        connectTimeoutMs: n.connectTimeoutMs,
        knownHostsFile: settings.knownHostsFile,
        knownHosts,
        logger: { record: (entry, secrets) => this.route(n.name, entry, secrets) },
      });
      this.nodes.set(n.name, { transport, hash: nodeSettingsHash(n, settings.knownHostsFile) });
    }
    this.server = net.createServer((sock) => this.accept(sock));
  }

  /** 'ready', or 'exists' when a live daemon already answers on the socket. */
  async listen(): Promise<'ready' | 'exists'> {
    const path = this.settings.socket;
    const dir = dirname(path);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    const uid = process.getuid?.();
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) throw new Error(`${dir} is not a directory owned by this user`);
    if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
    // The socket is created 0600 (no window in which others could connect).
    process.umask(0o077);
    try {
      await this.listenOn(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      if (await alive(path)) return 'exists';
      unlinkSync(path); // stale socket of a daemon that died
      await this.listenOn(path);
    }
    chmodSync(path, 0o600);
    const s = statSync(path);
    this.sockId = { dev: s.dev, ino: s.ino };
    this.watchTimer = setInterval(() => this.watchSocket(), 2000);
    this.armIdle();
    return 'ready';
  }

  private listenOn(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(path, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
  }

  private ownsSocket(): boolean {
    if (!this.sockId) return false;
    try {
      const s = statSync(this.settings.socket);
      return s.dev === this.sockId.dev && s.ino === this.sockId.ino;
    } catch {
      return false;
    }
  }

  private unlinkSocket(): void {
    if (this.ownsSocket()) {
      try {
        unlinkSync(this.settings.socket);
      } catch {
        /* gone already */
      }
    }
    this.sockId = undefined;
  }

  /** Stop taking new clients; exit once the connected ones are gone. */
  private drain(reason: string): void {
    if (!this.draining) log(`draining: ${reason}`);
    this.draining = true;
    this.unlinkSocket();
    this.server.close();
    if (this.clients.size === 0) void this.shutdown(reason);
  }

  private watchSocket(): void {
    if (this.draining || this.stopping) return;
    if (!this.ownsSocket()) this.drain('the socket file was removed or replaced');
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.clients.size > 0 || this.stopping) return;
    if (this.draining) {
      void this.shutdown('drained');
      return;
    }
    this.idleTimer = setTimeout(() => void this.shutdown(`idle for ${this.idleSeconds}s`), this.idleSeconds * 1000);
  }

  async shutdown(reason: string): Promise<never> {
    if (!this.stopping) {
      this.stopping = true;
      log(`exit: ${reason}`);
      clearTimeout(this.idleTimer);
      clearInterval(this.watchTimer);
      this.unlinkSocket();
      this.server.close();
      for (const c of this.clients) c.sock.destroy();
      await Promise.race([
        Promise.allSettled([...this.clients].map((c) => c.dispose())).then(() =>
          Promise.allSettled([...this.nodes.values()].map((n) => n.transport.close())),
        ),
        new Promise((r) => setTimeout(r, 3000)),
      ]);
      process.exit(0);
    }
    return new Promise<never>(() => undefined);
  }

  private accept(sock: net.Socket): void {
    if (this.stopping) {
      sock.destroy();
      return;
    }
    const client = new Client(sock);
    this.clients.add(client);
    this.armIdle();
    sock.on('data', lineReader((line) => this.onLine(client, line)));
    sock.on('error', () => sock.destroy());
    sock.on('close', () => {
      this.clients.delete(client);
      for (const [node, c] of this.lastClient) if (c === client) this.lastClient.delete(node);
      void client.dispose();
      this.armIdle();
    });
  }

  private route(node: string, entry: CommandRecord, secrets: readonly string[] | undefined): void {
    const marker = secrets?.find((s) => s.startsWith(MARK));
    const r = marker ? this.routes.get(marker) : undefined;
    if (r) r.client.send({ log: entry, id: r.id });
    else this.lastClient.get(node)?.send({ log: entry });
  }

  private onLine(client: Client, line: string): void {
    let req: MuxRequest;
    try {
      req = JSON.parse(line) as MuxRequest;
    } catch {
      client.send({ id: -1, ok: false, error: { name: 'Error', message: 'mux: malformed request' } });
      return;
    }
    this.handle(client, req).then(
      (res) => client.send({ id: req.id, ok: true, ...res }),
      (err: unknown) => client.send({ id: req.id, ok: false, error: wireError(err) }),
    );
  }

  private entry(node: string, client: Client): NodeEntry {
    const e = this.nodes.get(node);
    if (!e) throw new Error(`mux: no node named ${node} in this daemon's settings`);
    this.lastClient.set(node, client);
    return e;
  }

  /** withMarker for a request the client may cancel (exec, uploads): `signal` aborts on its 'cancel' or when it goes away. */
  private async cancellable<T>(client: Client, id: number, fn: (signal: AbortSignal, marker: string) => Promise<T>): Promise<T> {
    const ac = new AbortController();
    client.inFlight.set(id, ac);
    try {
      return await this.withMarker(client, id, (marker) => fn(ac.signal, marker));
    } finally {
      client.inFlight.delete(id);
    }
  }

  private async withMarker<T>(client: Client, id: number, fn: (marker: string) => Promise<T>): Promise<T> {
    const marker = `${MARK}${++this.nextMarker}`;
    this.routes.set(marker, { client, id });
    try {
      return await fn(marker);
    } finally {
      this.routes.delete(marker);
    }
  }

  private async handle(client: Client, req: MuxRequest): Promise<Record<string, unknown>> {
    switch (req.op) {
      case 'hello': {
        const reason = this.mismatch(req);
        if (reason) return { match: false, reason, pid: process.pid };
        if (Number.isFinite(req.idleSeconds) && req.idleSeconds > 0) this.idleSeconds = req.idleSeconds;
        return { match: true, pid: process.pid };
      }
      case 'exit':
        if (req.force) setImmediate(() => void this.shutdown('exit requested'));
        else setImmediate(() => this.drain('replaced (settings changed)'));
        // The socket is unlinked before the answer, so the client can start a successor right away.
        if (!req.force) this.unlinkSocket();
        return {};
      case 'connect':
        await this.entry(req.node, client).transport.connect();
        return {};
      case 'exec': {
        const { transport } = this.entry(req.node, client);
        const o = req.opts ?? {};
        return this.cancellable(client, req.id, (signal, marker) => {
          const opts: ExecOptions = {
            ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
            ...(o.stdin !== undefined ? { stdin: stdinOf(o.stdin) } : {}),
            ...(o.asLoginUser !== undefined ? { asLoginUser: o.asLoginUser } : {}),
            ...(o.logStdout !== undefined ? { logStdout: o.logStdout } : {}),
            ...(o.maxOutputBytes !== undefined ? { maxOutputBytes: o.maxOutputBytes } : {}),
            ...(o.spillDir !== undefined ? { spillDir: o.spillDir } : {}),
            secrets: [...(o.secrets ?? []), marker],
            signal,
          };
          return transport.exec(req.argv, opts).then((result) => ({ result }));
        });
      }
      case 'cancel':
        client.inFlight.get(req.ref)?.abort(req.reason);
        return {};
      case 'put': {
        const { transport } = this.entry(req.node, client);
        return this.cancellable(client, req.id, async (signal, marker) => {
          await transport.put(Buffer.from(req.content, 'base64'), req.dest, {
            ...req.opts,
            secrets: [...(req.opts.secrets ?? []), marker],
            signal,
          });
          return {};
        });
      }
      case 'putFile': {
        const { transport } = this.entry(req.node, client);
        return this.cancellable(client, req.id, async (signal, marker) => {
          await transport.putFile(req.localPath, req.dest, { ...req.opts, secrets: [...(req.opts.secrets ?? []), marker], signal });
          return {};
        });
      }
      case 'forward': {
        const { transport } = this.entry(req.node, client);
        const fwd = await transport.forward(req.host, req.port);
        if (client.gone) {
          await fwd.close();
          throw new Error('mux: client went away');
        }
        const fid = ++this.nextForward;
        client.forwards.set(fid, fwd);
        return { fid, localPort: fwd.localPort };
      }
      case 'unforward': {
        const fwd = client.forwards.get(req.fid);
        client.forwards.delete(req.fid);
        await fwd?.close();
        return {};
      }
      default:
        throw new Error(`mux: unknown request ${(req as { op?: unknown }).op as string}`);
    }
  }

  private mismatch(req: Extract<MuxRequest, { op: 'hello' }>): string | undefined {
    if (req.v !== MUX_PROTOCOL) return `protocol ${MUX_PROTOCOL}, client speaks ${req.v}`;
    if (req.build !== this.build) return 'the daemon is from another build of kubelab';
    for (const [name, hash] of Object.entries(req.nodes ?? {})) {
      const e = this.nodes.get(name);
      if (!e) return `node ${name} is not in the daemon's settings`;
      if (e.hash !== hash) return `the settings of node ${name} changed`;
    }
    if (this.draining) return 'the daemon is exiting';
    return undefined;
  }
}

function alive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(1000, () => done(false));
  });
}

function validSettings(x: unknown): x is MuxDaemonSettings {
  const s = x as Partial<MuxDaemonSettings> | null;
  return (
    !!s &&
    s.v === MUX_PROTOCOL &&
    typeof s.socket === 'string' &&
    typeof s.knownHostsFile === 'string' &&
    typeof s.idleSeconds === 'number' &&
    s.idleSeconds > 0 &&
    Array.isArray(s.nodes)
  );
}

async function main(): Promise<void> {
  process.on('SIGHUP', () => undefined);
  const raw = await readStdin(10_000);
  const settings: unknown = JSON.parse(raw);
  if (!validSettings(settings)) throw new Error('invalid settings on stdin');
  const daemon = new Daemon(settings);
  process.on('SIGTERM', () => void daemon.shutdown('SIGTERM'));
  process.on('SIGINT', () => void daemon.shutdown('SIGINT'));
  process.on('uncaughtException', (err) => {
    log(`internal error: ${err.stack ?? err.message}`);
    void daemon.shutdown('internal error');
  });
  const state = await daemon.listen();
  if (state === 'exists') {
    process.stdout.write('exists\n', () => process.exit(0));
    return;
  }
  log(`listening on ${settings.socket} for ${settings.nodes.length} node(s), idle exit after ${settings.idleSeconds}s`);
  process.stdout.write(`ready ${process.pid}\n`);
  process.stdout.end();
}

main().catch((err: unknown) => {
  const msg = err instanceof Error ? err.message : String(err);
  log(`cannot start: ${msg}`);
  process.stdout.write(`error ${msg.replace(/\n/g, ' ')}\n`, () => process.exit(1));
});
