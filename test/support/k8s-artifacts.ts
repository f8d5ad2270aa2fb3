/**
 * Real Kubernetes artifacts for tests: a folder made by `../shared/k8s/unpack.sh DIR` (mirror/ laid out as
 * dl.k8s.io/... and github.com/..., images/*.tar OCI archives + index.txt), named by KUBELAB_TEST_K8S_DIR;
 * a loopback HTTP server that serves a folder and counts requests; a real registry (Debian's docker-registry)
 * on a free loopback port, loaded with skopeo, behind a counting proxy.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The unpacked test artifacts, or undefined (tests skip with K8S_SKIP). */
export function k8sTestDir(): string | undefined {
  const dir = process.env.KUBELAB_TEST_K8S_DIR;
  return dir && existsSync(join(dir, 'mirror')) && existsSync(join(dir, 'images', 'index.txt')) ? dir : undefined;
}

export const K8S_SKIP =
  'set KUBELAB_TEST_K8S_DIR to a folder made by ../shared/k8s/unpack.sh DIR (mirror/ and images/index.txt)';

/** Why the registry tests cannot run (docker-registry or skopeo not on PATH), or undefined. */
export function registryToolsMissing(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(':');
  const missing = ['docker-registry', 'skopeo'].filter((t) => !dirs.some((d) => d && existsSync(join(d, t))));
  return missing.length ? `needs ${missing.join(' and ')} (Debian: apt-get install docker-registry skopeo)` : undefined;
}

/** index.txt: name:tag archive digest. */
export async function imageIndex(dir: string): Promise<{ ref: string; archive: string; digest: string }[]> {
  const text = await readFile(join(dir, 'images', 'index.txt'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [ref, archive, digest] = l.split(/\s+/) as [string, string, string];
      return { ref, archive, digest };
    });
}

export interface Served {
  readonly url: string;
  /** Every request path, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const closeServer = (server: Server): Promise<void> =>
  new Promise((ok) => {
    server.closeAllConnections();
    server.close(() => ok());
  });

/** Serves a folder's files over HTTP on 127.0.0.1 (GET only), counting requests; `override` answers some paths. */
export async function serveDir(root: string, override: Map<string, Buffer> = new Map()): Promise<Served> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const o = override.get(path);
    if (o) return void res.end(o);
    const file = join(root, normalize(path).replace(/^(\.\.[/\\])+/, ''));
    stat(file).then(
      (st) => {
        if (!st.isFile()) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-length': st.size });
        createReadStream(file).pipe(res);
      },
      () => void res.writeHead(404).end(),
    );
  });
  const url = await listen(server);
  return { url, requests, close: () => closeServer(server) };
}

export interface TestRegistry extends Served {
  /** host:port of the registry itself (skopeo pushes there, not through the proxy). */
  readonly direct: string;
  /** The registry's storage root (blobs under docker/registry/v2/blobs/sha256/xx/<hex>/data). */
  readonly storage: string;
  /** skopeo copy oci-archive:<archive> -> docker://<direct>/<repository:tag>. */
  load(archive: string, repoTag: string): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as AddressInfo).port;
  await new Promise((ok) => s.close(ok));
  return port;
}

/** docker-registry (registry v2) with filesystem storage in a temp dir, plus a counting proxy in front of it. */
export async function startRegistry(): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'kubelab-registry-'));
  const port = await freePort();
  const storage = join(dir, 'storage');
  await writeFile(
    join(dir, 'config.yml'),
    `version: 0.1\nlog: { level: error }\nstorage: { filesystem: { rootdirectory: ${storage} } }\nhttp: { addr: 127.0.0.1:${port} }\n`,
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  const direct = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://${direct}/v2/`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 100 || child.exitCode !== null) throw new Error(`docker-registry did not start on ${direct}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const requests: string[] = [];
  const proxy = createServer((req, res) => {
    requests.push(req.url ?? '');
    const up = request({ host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  const url = await listen(proxy);
  return {
    url,
    requests,
    direct,
    storage,
    async load(archive, repoTag) {
      await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci-archive:${archive}`, `docker://${direct}/${repoTag}`]);
    },
    async close() {
      await closeServer(proxy);
      child.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Loads into `registry` the images of `refs` from the unpacked artifacts (asserting each is there), under their
 * repository path without the registry host (the registry stands in as the mirror of registry.k8s.io and ghcr.io).
 */
/** Every image archive of ../shared/k8s into the registry, under its own name. */
export async function loadAllImages(registry: TestRegistry, k8sDir: string): Promise<void> {
  for (const i of await imageIndex(k8sDir)) await registry.load(join(k8sDir, 'images', i.archive), i.ref.slice(i.ref.indexOf('/') + 1));
}

export async function loadImages(registry: TestRegistry, k8sDir: string, refs: readonly string[]): Promise<void> {
  const index = await imageIndex(k8sDir);
  for (const ref of refs) {
    const i = index.find((x) => x.ref === ref);
    if (!i) throw new Error(`${ref} is not in ${k8sDir}/images/index.txt`);
    await registry.load(join(k8sDir, 'images', i.archive), ref.slice(ref.indexOf('/') + 1));
  }
}
