/**
 * Real OpenSSH sshd daemons for integration tests and benchmarks, listening on 127.0.0.1 only.
 *
 * startSshd() runs `/usr/sbin/sshd -D -e -f <config>` with a temp dir holding a fresh ed25519
 * host key, a fresh client key (plus optionally a passphrase-protected one) in authorized_keys,
 * and a config listening on 1..16 free ports. startSshdFleet(n) starts ceil(n/16) daemons.
 * Needs root (sshd must run as root to accept logins); callers should skip otherwise.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const SSHD_PATH = '/usr/sbin/sshd';
/** sshd accepts at most 16 ListenAddress entries per daemon. */
export const MAX_PORTS_PER_SSHD = 16;

export interface SshdKeys {
  dir: string;
  /** Private client key (no passphrase). */
  clientKey: string;
  clientKeyPub: string;
  /** Passphrase-protected client key, when requested. */
  encryptedClientKey?: string;
  passphrase?: string;
  hostKey: string;
  hostKeyPubFile: string;
}

export interface SshdOptions {
  /** How many ports (ListenAddress lines) this daemon listens on, 1..16. Default 1. */
  ports?: number;
  /** Listen on these exact ports instead of picking free ones. */
  fixedPorts?: number[];
  /** Also create a passphrase-protected client key and authorize it. */
  encryptedClientKey?: boolean;
  /** Allow password authentication (for users with a real password hash). Default true. */
  passwordAuthentication?: boolean;
  /** Reuse keys (e.g. for a fleet) instead of generating new ones. */
  keys?: SshdKeys;
  /** Extra sshd_config lines. */
  extraConfig?: string[];
}

export interface Sshd {
  host: '127.0.0.1';
  ports: number[];
  /** ports[0] */
  port: number;
  dir: string;
  clientKey: string;
  encryptedClientKey?: string;
  passphrase?: string;
  hostKey: string;
  /** The host public key line, e.g. "ssh-ed25519 AAAA... comment". */
  hostKeyPub: string;
  hostKeyPubFile: string;
  keys: SshdKeys;
  /** Stop and start again on the same ports, optionally with a freshly generated host key. */
  restart(opts?: { newHostKey?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export interface SshdFleet {
  endpoints: { host: '127.0.0.1'; port: number }[];
  ports: number[];
  daemons: Sshd[];
  clientKey: string;
  hostKeyPub: string;
  keys: SshdKeys;
  stop(): Promise<void>;
}

/** Why sshd tests cannot run here, or undefined when they can. */
export function sshdSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'sshd tests need Linux';
  if (process.getuid?.() !== 0) return 'sshd tests need root (sshd must run as root to accept logins)';
  if (!existsSync(SSHD_PATH)) return `${SSHD_PATH} not found (apt-get install openssh-server)`;
  return undefined;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGTERM');
    });
  }
}

async function keygen(path: string, comment: string, passphrase = ''): Promise<void> {
  await rm(path, { force: true });
  await rm(`${path}.pub`, { force: true });
  await execFileP('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', comment, '-f', path]);
}

/** Generate host + client keys (and authorized_keys) in a new temp dir. */
export async function generateSshdKeys(opts: { encryptedClientKey?: boolean } = {}): Promise<SshdKeys> {
  const dir = await mkdtemp(join(tmpdir(), 'kubelab-sshd-keys-'));
  // Non-root users read authorized_keys as themselves.
  await chmod(dir, 0o755);
  const keys: SshdKeys = {
    dir,
    clientKey: join(dir, 'client_ed25519'),
    clientKeyPub: join(dir, 'client_ed25519.pub'),
    hostKey: join(dir, 'ssh_host_ed25519_key'),
    hostKeyPubFile: join(dir, 'ssh_host_ed25519_key.pub'),
  };
  const jobs = [keygen(keys.hostKey, 'kubelab-test-host'), keygen(keys.clientKey, 'kubelab-test-client')];
  if (opts.encryptedClientKey) {
    keys.encryptedClientKey = join(dir, 'client_ed25519_enc');
    keys.passphrase = `pass-${randomBytes(6).toString('hex')}`;
    jobs.push(keygen(keys.encryptedClientKey, 'kubelab-test-client-enc', keys.passphrase));
  }
  await Promise.all(jobs);
  let auth = await readFile(keys.clientKeyPub, 'utf8');
  if (keys.encryptedClientKey) auth += await readFile(`${keys.encryptedClientKey}.pub`, 'utf8');
  await writeFile(join(dir, 'authorized_keys'), auth, { mode: 0o644 });
  return keys;
}

/** Ports that were free a moment ago (bind to port 0, read, close). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    // Wait for the SSH banner, so the daemon is really serving.
    sock.once('data', () => done(true));
    sock.once('error', () => done(false));
    sock.setTimeout(1000, () => done(false));
  });
}

function sshdConfig(dir: string, keys: SshdKeys, ports: number[], opts: SshdOptions): string {
  return [
    // sshd uses the first value it reads for most keywords, so caller overrides go first.
    ...(opts.extraConfig ?? []),
    ...ports.map((p) => `ListenAddress 127.0.0.1:${p}`),
    `PidFile ${join(dir, 'sshd.pid')}`,
    `HostKey ${keys.hostKey}`,
    `AuthorizedKeysFile ${join(keys.dir, 'authorized_keys')}`,
    'StrictModes no',
    'PermitRootLogin yes',
    'UsePAM no',
    'PubkeyAuthentication yes',
    `PasswordAuthentication ${opts.passwordAuthentication === false ? 'no' : 'yes'}`,
    'KbdInteractiveAuthentication no',
    'AllowTcpForwarding yes',
    'Subsystem sftp internal-sftp',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'MaxSessions 20',
    'MaxStartups 200:30:400',
    'LogLevel ERROR',
    '',
  ].join('\n');
}

interface Daemon {
  child: ChildProcess;
  stderr: () => string;
}

async function launch(dir: string, ports: number[]): Promise<Daemon> {
  const child = spawn(SSHD_PATH, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  track(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    if (process.env.KUBELAB_SSHD_DEBUG) process.stderr.write(d);
    stderr += d;
  });
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `sshd exited (${code ?? signal}): ${stderr.trim()}`;
  });
  const daemon: Daemon = { child, stderr: () => stderr };
  const deadline = Date.now() + 10_000;
  const pending = new Set(ports);
  while (pending.size > 0) {
    if (exited) throw new Error(exited);
    if (/Bind to port \d+ on \S+ failed|Cannot bind any address/i.test(stderr)) {
      await stopDaemon(daemon);
      throw Object.assign(new Error(`sshd could not bind: ${stderr.trim()}`), { bind: true });
    }
    if (Date.now() > deadline) {
      await stopDaemon(daemon);
      throw new Error(`sshd did not start listening on ${[...pending].join(',')} within 10s: ${stderr.trim()}`);
    }
    const results = await Promise.all([...pending].map(async (p) => [p, await canConnect(p)] as const));
    for (const [p, ok] of results) if (ok) pending.delete(p);
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 25));
  }
  return daemon;
}

async function stopDaemon(d: Daemon): Promise<void> {
  const { child } = d;
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function ensurePrivsepDir(): Promise<void> {
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
}

/** Start one sshd on 127.0.0.1 listening on opts.ports (default 1, max 16) free ports. */
export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  const skip = sshdSkipReason();
  if (skip) throw new Error(skip);
  const count = opts.fixedPorts?.length ?? opts.ports ?? 1;
  if (count < 1 || count > MAX_PORTS_PER_SSHD) throw new RangeError(`ports must be 1..${MAX_PORTS_PER_SSHD}`);
  await ensurePrivsepDir();
  const ownKeys = !opts.keys;
  const keys = opts.keys ?? (await generateSshdKeys({ encryptedClientKey: opts.encryptedClientKey }));
  const dir = await mkdtemp(join(tmpdir(), 'kubelab-sshd-'));

  let ports: number[] = [];
  let daemon: Daemon | undefined;
  for (let attempt = 0; !daemon; attempt++) {
    ports = opts.fixedPorts ?? (await freePorts(count));
    await writeFile(join(dir, 'sshd_config'), sshdConfig(dir, keys, ports, opts));
    try {
      daemon = await launch(dir, ports);
    } catch (err) {
      // Someone took a port between freePorts() and sshd's bind: pick new ones.
      if (!(err as { bind?: boolean }).bind || opts.fixedPorts || attempt >= 4) {
        await rm(dir, { recursive: true, force: true });
        if (ownKeys) await rm(keys.dir, { recursive: true, force: true });
        throw err;
      }
    }
  }

  const sshd: Sshd = {
    host: '127.0.0.1',
    ports,
    port: ports[0]!,
    dir,
    clientKey: keys.clientKey,
    ...(keys.encryptedClientKey ? { encryptedClientKey: keys.encryptedClientKey, passphrase: keys.passphrase } : {}),
    hostKey: keys.hostKey,
    hostKeyPub: (await readFile(keys.hostKeyPubFile, 'utf8')).trim(),
    hostKeyPubFile: keys.hostKeyPubFile,
    keys,
    async restart(r = {}) {
      if (daemon) await stopDaemon(daemon);
      if (r.newHostKey) {
        await keygen(keys.hostKey, 'kubelab-test-host');
        sshd.hostKeyPub = (await readFile(keys.hostKeyPubFile, 'utf8')).trim();
      }
      daemon = await launch(dir, ports);
    },
    async stop() {
      if (daemon) await stopDaemon(daemon);
      await rm(dir, { recursive: true, force: true });
      if (ownKeys) await rm(keys.dir, { recursive: true, force: true });
    },
  };
  return sshd;
}

/** n endpoints (ports) served by ceil(n/16) daemons sharing one host key and one client key. */
export async function startSshdFleet(n: number, opts: Omit<SshdOptions, 'ports' | 'fixedPorts' | 'keys'> = {}): Promise<SshdFleet> {
  if (n < 1) throw new RangeError('n must be >= 1');
  const skip = sshdSkipReason();
  if (skip) throw new Error(skip);
  const keys = await generateSshdKeys({ encryptedClientKey: opts.encryptedClientKey });
  const sizes: number[] = [];
  for (let left = n; left > 0; left -= MAX_PORTS_PER_SSHD) sizes.push(Math.min(MAX_PORTS_PER_SSHD, left));
  const results = await Promise.allSettled(sizes.map((ports) => startSshd({ ...opts, ports, keys })));
  const daemons = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(daemons.map((d) => d.stop()));
    await rm(keys.dir, { recursive: true, force: true });
  };
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const ports = daemons.flatMap((d) => d.ports);
  return {
    endpoints: ports.map((port) => ({ host: '127.0.0.1' as const, port })),
    ports,
    daemons,
    clientKey: keys.clientKey,
    hostKeyPub: daemons[0]!.hostKeyPub,
    keys,
    stop,
  };
}

// ------------------------------------------------------------------ sudo test users

export const NOPASSWD_USER = 'kubelab-test';
export const PASSWORD_USER = 'kubelab-pw';

export interface TestUsers {
  /** Logs in with any authorized key; `sudo -n` works (NOPASSWD). */
  nopasswd: string;
  /** Has a real password; sudo requires it. */
  withPassword: { user: string; password: string };
}

async function which(cmd: string): Promise<string | undefined> {
  try {
    const { stdout } = await execFileP('sh', ['-c', `command -v ${cmd}`]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Why the sudo tests cannot run here (nothing is installed), or undefined when they can. */
export async function sudoSkipReason(): Promise<string | undefined> {
  const skip = sshdSkipReason();
  if (skip) return skip;
  if (!(await which('sudo'))) return 'sudo is not installed (apt-get install -y sudo to run the sudo tests)';
  for (const tool of ['useradd', 'userdel', 'usermod', 'chpasswd']) {
    if (!(await which(tool))) return `${tool} not found; cannot create sudo test users`;
  }
  return undefined;
}

async function userExists(user: string): Promise<boolean> {
  try {
    await execFileP('id', ['-u', user]);
    return true;
  } catch {
    return false;
  }
}

async function writeSudoers(user: string, body: string): Promise<void> {
  const file = `/etc/sudoers.d/${user}`;
  const tmp = `${file}.tmp`;
  await writeFile(tmp, body, { mode: 0o440 });
  await execFileP('visudo', ['-c', '-q', '-f', tmp]).catch(() => undefined);
  await execFileP('mv', ['-f', tmp, file]);
}

/**
 * Create (idempotently) two local users for sudo tests: kubelab-test (NOPASSWD sudo, no
 * password) and kubelab-pw (random password, sudo asks for it). Call removeTestUsers() after.
 */
export async function ensureTestUsers(): Promise<TestUsers> {
  const reason = await sudoSkipReason();
  if (reason) throw new Error(reason);
  for (const user of [NOPASSWD_USER, PASSWORD_USER]) {
    if (!(await userExists(user))) await execFileP('useradd', ['-m', '-s', '/bin/sh', user]);
  }
  // '*' = no password login but not locked ('!' would make sshd refuse the account without PAM).
  await execFileP('usermod', ['-p', '*', NOPASSWD_USER]);
  const password = `Kl'pw$"${randomBytes(6).toString('hex')} x`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn('chpasswd', [], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`chpasswd failed: ${err}`))));
    child.stdin.end(`${PASSWORD_USER}:${password}\n`);
  });
  await writeSudoers(NOPASSWD_USER, `${NOPASSWD_USER} ALL=(ALL:ALL) NOPASSWD: ALL\n`);
  await writeSudoers(PASSWORD_USER, `Defaults:${PASSWORD_USER} lecture=never\n${PASSWORD_USER} ALL=(ALL:ALL) ALL\n`);
  return { nopasswd: NOPASSWD_USER, withPassword: { user: PASSWORD_USER, password } };
}

export async function removeTestUsers(): Promise<void> {
  for (const user of [NOPASSWD_USER, PASSWORD_USER]) {
    await rm(`/etc/sudoers.d/${user}`, { force: true });
    if (await userExists(user)) {
      await execFileP('userdel', ['-r', '-f', user]).catch(() => undefined);
    }
  }
}
