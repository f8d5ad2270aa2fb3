/**
 * A real etcd + kube-apiserver v1.35.4 (the binaries of KUBELAB_TEST_K8S_DIR/bin) for integration tests, no kubelet,
 * no controller-manager, no scheduler.
 *
 * Where it runs: in a network namespace of its own that has only `lo` (`ip netns add`; needs root and iproute2),
 * etcd and the API server on the namespace's 127.0.0.1 (fixed ports 2379/2380/6443: nothing else is in there).
 * Nothing in it can send traffic off the machine: the namespace has no other interface and no route.
 *
 * How the test reaches it: a bridge. `netns-bridge.js`, started inside the namespace, listens on a unix socket
 * (a file in the harness's temp dir; files are not per namespace) and pipes to the namespace's 127.0.0.1:6443;
 * the test process listens on its own 127.0.0.1 (a free port) and pipes each connection to that socket. TLS is
 * end to end (the bridge copies bytes), so the client verifies the API server's certificate as it would a real
 * one. The client code under test runs in the test process, in the same node:test run, which a runner spawned
 * under `ip netns exec` would not give.
 *
 * Certificates: made by the test with openssl (test/support/pki.ts), not by kubeadm: `kubeadm init phase certs`
 * v1.35.4 refuses every address such a namespace can offer: advertiseAddress 127.0.0.1 or ::1 -> "unable to select
 * an IP from lo network interface"; none -> "no default routes found ... using: 0.0.0.0" then "cannot use "0.0.0.0"
 * as the bind address for the API Server". The only way to please it would be a non-loopback address, which the
 * network rule forbids. Server certificate SANs: 127.0.0.1, localhost, kubernetes(.default(.svc)). Client
 * certificate: CN=kubernetes-admin, O=system:masters (as kubeadm's admin.conf before 1.29). Service account
 * keys: a P-256 pair from node:crypto.
 *
 * Every kubeconfig points at loopback: the one for the test process at the bridge (https://127.0.0.1:<port>),
 * the one inside the namespace (for kubeadm or kubectl run there) at https://127.0.0.1:6443.
 */
import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { k8sTestDir } from './k8s-artifacts.js';
import { adminConf, makePki, type TestPki } from './pki.js';

const run = promisify(execFile);

const API_PORT = 6443;
const BINARIES = ['etcd', 'kube-apiserver'];
const BRIDGE = fileURLToPath(new URL('./netns-bridge.js', import.meta.url));
const START_TIMEOUT_MS = 60_000;

/** KUBELAB_TEST_K8S_DIR/bin when it has etcd and kube-apiserver, else undefined. */
export function k8sBinDir(): string | undefined {
  const dir = k8sTestDir();
  const bin = dir && join(dir, 'bin');
  return bin && BINARIES.every((b) => existsSync(join(bin, b))) ? bin : undefined;
}

/** Why the real API server cannot start here (the tests skip with it), or undefined. */
export function realApiServerMissing(): string | undefined {
  if (!k8sBinDir()) return 'set KUBELAB_TEST_K8S_DIR to a folder made by ../shared/k8s/unpack.sh DIR (bin/etcd, bin/kube-apiserver)';
  if (process.getuid?.() !== 0) return 'needs root (ip netns add)';
  if (!['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].some((p) => existsSync(p))) return 'needs iproute2 (ip netns)';
  if (!existsSync(BRIDGE)) return `no ${BRIDGE} (run from dist/ after npm run build)`;
  return undefined;
}

export interface RealApiServer {
  /** admin kubeconfig for this process: https://127.0.0.1:<bridge port>. */
  readonly kubeconfigYaml: string;
  /** The same credentials pointing at the namespace's https://127.0.0.1:6443, as a file (for commands run inside). */
  readonly nsKubeconfigFile: string;
  readonly pki: TestPki;
  /** The network namespace's name. */
  readonly netns: string;
  readonly binDir: string;
  /** argv run inside the namespace: ip netns exec NS ...argv. */
  nsArgv(argv: readonly string[]): string[];
  /** The last lines of the API server's log (for failure messages). */
  logTail(lines?: number): Promise<string>;
  close(): Promise<void>;
}

interface Proc {
  name: string;
  child: ChildProcess;
  log: string;
}

async function stopProc(p: Proc): Promise<void> {
  const { child } = p;
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function tail(file: string, lines = 20): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines - 1).join('\n');
}

/** The host-side end of the bridge: 127.0.0.1:<free port> -> unix socket. */
async function listenBridge(socketPath: string): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(socketPath);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

/** GET /readyz with the admin client certificate; true on 200 "ok". */
function ready(port: number, pki: TestPki): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(
      { host: '127.0.0.1', port, path: '/readyz', ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey, timeout: 2000 },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(res.statusCode === 200 && body.trim() === 'ok'));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Starts etcd and the API server in a fresh network namespace; resolves once /readyz answers ok through the bridge. */
export async function startRealApiServer(): Promise<RealApiServer> {
  const binDir = k8sBinDir();
  if (!binDir) throw new Error('no KUBELAB_TEST_K8S_DIR/bin with etcd and kube-apiserver');
  const dir = await mkdtemp(join(tmpdir(), 'kubelab-apiserver-'));
  const netns = `kubelab-api-${process.pid}-${randomBytes(3).toString('hex')}`;
  const procs: Proc[] = [];
  let bridge: Awaited<ReturnType<typeof listenBridge>> | undefined;
  let nsCreated = false;

  const pki = await makePki(['IP:127.0.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc']);
  const sa = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const file = (name: string): string => join(dir, name);
  await writeFile(file('ca.crt'), pki.caCert);
  await writeFile(file('apiserver.crt'), pki.serverCert);
  await writeFile(file('apiserver.key'), pki.serverKey, { mode: 0o600 });
  await writeFile(file('sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(file('sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));
  const nsKubeconfigFile = file('admin.conf');
  await writeFile(nsKubeconfigFile, adminConf(pki, `https://127.0.0.1:${API_PORT}`), { mode: 0o600 });

  const nsArgv = (argv: readonly string[]): string[] => ['ip', 'netns', 'exec', netns, ...argv];
  // `ip netns exec` execs the command after entering the namespace: the PID spawned is the daemon's own
  const start = (name: string, argv: readonly string[]): Proc => {
    const log = file(`${name}.log`);
    const out = createWriteStream(log);
    const [cmd, ...args] = nsArgv(argv);
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    const p = { name, child, log };
    procs.push(p);
    return p;
  };

  // the test process ending without after() (an uncaught error): no daemon or namespace outlives it
  const onExit = (): void => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    if (nsCreated) spawnSync('ip', ['netns', 'del', netns]);
  };
  process.once('exit', onExit);

  const close = async (): Promise<void> => {
    process.removeListener('exit', onExit);
    if (bridge) {
      for (const s of bridge.sockets) s.destroy();
      await new Promise<void>((ok) => bridge!.server.close(() => ok()));
    }
    // the API server before etcd
    for (const p of [...procs].reverse()) await stopProc(p);
    if (nsCreated) await run('ip', ['netns', 'del', netns]);
    nsCreated = false;
    await pki.cleanup();
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await run('ip', ['netns', 'add', netns]);
    nsCreated = true;
    await run('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);

    start('etcd', [
      join(binDir, 'etcd'),
      '--name=default',
      `--data-dir=${file('etcd')}`,
      '--listen-client-urls=http://127.0.0.1:2379',
      '--advertise-client-urls=http://127.0.0.1:2379',
      '--listen-peer-urls=http://127.0.0.1:2380',
      '--initial-advertise-peer-urls=http://127.0.0.1:2380',
      '--initial-cluster=default=http://127.0.0.1:2380',
      '--log-level=warn',
      // throw-away data: no fsync per write (etcd 3.5+)
      '--unsafe-no-fsync',
    ]);
    const apiserver = start('kube-apiserver', [
      join(binDir, 'kube-apiserver'),
      '--etcd-servers=http://127.0.0.1:2379',
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${API_PORT}`,
      `--tls-cert-file=${file('apiserver.crt')}`,
      `--tls-private-key-file=${file('apiserver.key')}`,
      `--client-ca-file=${file('ca.crt')}`,
      `--service-account-key-file=${file('sa.pub')}`,
      `--service-account-signing-key-file=${file('sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.96.0.0/12',
      '--authorization-mode=Node,RBAC',
      '--enable-bootstrap-token-auth=true',
      '--allow-privileged=true',
      // the kubernetes Service's Endpoints may not hold a loopback address: do not keep them (nothing here dials it)
      '--endpoint-reconciler-type=none',
    ]);
    const bridgeProc = start('netns-bridge', [process.execPath, BRIDGE, file('api.sock'), String(API_PORT)]);
    await new Promise<void>((ok, fail) => {
      bridgeProc.child.stdout!.once('data', () => ok());
      bridgeProc.child.once('exit', (code) => fail(new Error(`netns-bridge exited (${code})`)));
    });
    bridge = await listenBridge(file('api.sock'));

    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await ready(bridge.port, pki))) {
      const dead = procs.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
      if (dead) throw new Error(`${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}):\n${await tail(dead.log)}`);
      if (Date.now() > deadline) throw new Error(`kube-apiserver not ready after ${START_TIMEOUT_MS / 1000} s:\n${await tail(apiserver.log)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }

  const port = bridge.port;
  return {
    kubeconfigYaml: adminConf(pki, `https://127.0.0.1:${port}`),
    nsKubeconfigFile,
    pki,
    netns,
    binDir,
    nsArgv,
    logTail: (lines) => tail(file('kube-apiserver.log'), lines),
    close,
  };
}
