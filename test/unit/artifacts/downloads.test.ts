import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchReleaseFile, resolveVersion } from '../../../scripts/artifacts/downloads.js';
import { prepareArtifacts } from '../../../scripts/artifacts/prepare.js';
import { companionsOf, releaseFiles } from '../../../scripts/artifacts/releases.js';
import { sha256Hex } from '../../../scripts/manifests/store.js';
import { KubelabError } from '../../../scripts/util/errors.js';
import { describeDownload, type DownloadNotice } from '../../../scripts/util/download-notice.js';
import { testInventory } from '../../support/inventory.js';

/** A fetch over a table of URL -> body, recording every URL asked for. */
function fakeFetch(table: Map<string, Buffer | string>): { fetch: typeof fetch; asked: string[] } {
  const asked: string[] = [];
  const f = (async (input: string | URL | Request) => {
    const url = String(input);
    asked.push(url);
    const body = table.get(url);
    return body === undefined
      ? new Response('not found', { status: 404, statusText: 'Not Found' })
      : new Response(typeof body === 'string' ? body : new Uint8Array(body));
  }) as typeof fetch;
  return { fetch: f, asked };
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

const BASE = 'http://127.0.0.1:9/k8s';
const GH = 'http://127.0.0.1:9/gh';

/** A release tree of 1.35.4 for amd64 made of small fake binaries and real (GNU tar) tarballs. */
async function releaseTable(): Promise<Map<string, Buffer | string>> {
  const t = new Map<string, Buffer | string>();
  t.set(`${BASE}/release/stable-1.35.txt`, 'v1.35.4');
  const work = await mkdtemp(join(tmpdir(), 'kubelab-rel-'));
  for (const f of releaseFiles('1.35.4', 'amd64')) {
    let bytes: Buffer;
    if (f.install.kind === 'binary') bytes = Buffer.from(`#!/bin/true ${f.name}\n`);
    else {
      const src = join(work, f.name);
      await mkdir(src, { recursive: true });
      const members = f.name === 'crictl' ? ['crictl'] : ['bridge', 'host-local', 'loopback'];
      for (const m of members) await writeFile(join(src, m), `binary ${m}\n`, { mode: 0o755 });
      const tgz = join(work, `${f.name}.tgz`);
      execFileSync('tar', ['-czf', tgz, '-C', src, ...members.map((m) => `./${m}`)]);
      bytes = await readFile(tgz);
    }
    const base = f.origin === 'kubernetes' ? BASE : GH;
    t.set(`${base}/${f.path}`, bytes);
    // upstream: hex only for dl.k8s.io, "<hex>  <file>" for the CNI plugins
    t.set(`${base}/${f.sumPath}`, f.origin === 'kubernetes' ? sha256Hex(bytes) : `${sha256Hex(bytes)}  ${f.path.split('/').pop()}\n`);
  }
  return t;
}

const inv = testInventory({ kubernetes: { version: '1.35', install: 'binaries' }, mirrors: { kubernetesReleases: BASE, githubReleases: GH } });

test('1.35 -> cni v1.9.1, crictl v1.34.0; release file URLs as on dl.k8s.io and GitHub', () => {
  assert.deepEqual(companionsOf('1.35.4'), { cni: '1.9.1', crictl: '1.34.0' });
  assert.deepEqual(
    releaseFiles('1.35.4', 'arm64').map((f) => f.path),
    [
      'release/v1.35.4/bin/linux/arm64/kubeadm',
      'release/v1.35.4/bin/linux/arm64/kubelet',
      'release/v1.35.4/bin/linux/arm64/kubectl',
      'containernetworking/plugins/releases/download/v1.9.1/cni-plugins-linux-arm64-v1.9.1.tgz',
      'kubernetes-sigs/cri-tools/releases/download/v1.34.0/crictl-v1.34.0-linux-arm64.tar.gz',
    ],
  );
  assert.throws(() => companionsOf('1.20.1'), /no CNI plugins/);
});

test('a minor-only version resolves through stable-1.N.txt, once: the answer is cached', async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'kubelab-art-'));
  const { fetch, asked } = fakeFetch(new Map([[`${BASE}/release/stable-1.35.txt`, 'v1.35.4']]));
  const opts = { cacheDir, offline: false, mirrors: { kubernetesReleases: BASE }, fetch };
  assert.equal(await resolveVersion('1.35', opts), '1.35.4');
  assert.equal(await resolveVersion('1.35', opts), '1.35.4');
  assert.deepEqual(asked, [`${BASE}/release/stable-1.35.txt`]);
  assert.equal(await resolveVersion('1.34.2', opts), '1.34.2', 'an exact version is used as is');
  assert.equal(asked.length, 1);
  const wrong = fakeFetch(new Map([[`${BASE}/release/stable-1.34.txt`, 'v1.35.0']]));
  await assert.rejects(resolveVersion('1.34', { ...opts, fetch: wrong.fetch }), /does not name a 1\.34\.x release/);
  await assert.rejects(resolveVersion('1.33', { ...opts, offline: true }), (e: Error) => e instanceof KubelabError && /offline: .*stable-1\.33\.txt/.test(e.message));
});

test('prepare downloads and verifies every file, extracts the tarballs; a warm cache makes no request', async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'kubelab-art-'));
  const table = await releaseTable();
  const { fetch, asked } = fakeFetch(table);
  const notices: DownloadNotice[] = [];
  const onDownload = (n: DownloadNotice): void => void notices.push(n);
  const a = await prepareArtifacts(inv, 'amd64', { cacheDir, offline: false, fetch, onDownload });
  assert.equal(a.kubernetesVersion, '1.35.4');
  // each download said before it started: what, from where, into which cache file (not the sum files)
  assert.deepEqual(notices.map(describeDownload), [
    `downloading the latest 1.35.x release number from ${BASE}/release/stable-1.35.txt into ${cacheDir}/dl.k8s.io/release/stable-1.35.txt`,
    ...releaseFiles('1.35.4', 'amd64').map((f) =>
      `downloading ${f.name} ${f.version} from ${f.origin === 'kubernetes' ? BASE : GH}/${f.path} into ${cacheDir}/${f.origin === 'kubernetes' ? 'dl.k8s.io' : 'github.com'}/${f.path}`),
  ]);
  assert.match(describeDownload(notices[1]!), /^downloading kubeadm 1\.35\.4 from http:\/\/127\.0\.0\.1:9\/k8s\/release\/v1\.35\.4\/bin\/linux\/amd64\/kubeadm into /);
  assert.deepEqual(a.images, []);
  assert.deepEqual(
    a.files.map((f) => f.remotePath),
    ['/usr/bin/kubeadm', '/usr/bin/kubelet', '/usr/bin/kubectl', '/opt/cni/bin/bridge', '/opt/cni/bin/host-local', '/opt/cni/bin/loopback', '/usr/bin/crictl'],
  );
  for (const f of a.files) {
    const bytes = await readFile(f.localPath);
    assert.equal(sha256Hex(bytes), f.sha256, f.localPath);
    assert.equal(bytes.length, f.size);
    assert.equal(f.mode, 0o755);
  }
  assert.equal((await readFile(a.files[3]!.localPath, 'utf8')), 'binary bridge\n');
  assert.equal(asked.length, 11, 'stable-1.35.txt + 5 files + 5 sums');

  asked.length = 0;
  notices.length = 0;
  const again = await prepareArtifacts(inv, 'amd64', { cacheDir, offline: false, fetch, onDownload });
  assert.deepEqual(asked, [], 'warm cache: no request');
  assert.deepEqual(notices, [], 'warm cache: nothing announced');
  assert.deepEqual(again, a);
  const offline = await prepareArtifacts(inv, 'amd64', { cacheDir, offline: true, fetch });
  assert.deepEqual(offline, a);
});

test('a wrong sha256 is refused naming URL, expected and got; nothing is cached', async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'kubelab-art-'));
  const table = await releaseTable();
  const url = `${BASE}/release/v1.35.4/bin/linux/amd64/kubelet`;
  const good = table.get(url) as Buffer;
  const bad = Buffer.from(good);
  bad[0] = bad[0]! ^ 1;
  table.set(url, bad);
  const { fetch } = fakeFetch(table);
  const file = releaseFiles('1.35.4', 'amd64').find((f) => f.name === 'kubelet')!;
  await assert.rejects(fetchReleaseFile(file, { cacheDir, offline: false, mirrors: inv.spec.mirrors, fetch }), (e: Error) => {
    assert.ok(e instanceof KubelabError);
    assert.ok(e.message.includes(url), e.message);
    assert.ok(e.message.includes(`expected ${sha256Hex(good)}`), e.message);
    assert.ok(e.message.includes(`got ${sha256Hex(bad)}`), e.message);
    return true;
  });
  assert.deepEqual(await listFiles(cacheDir), [], 'nothing written');
  await assert.rejects(prepareArtifacts(inv, 'amd64', { cacheDir, offline: false, fetch }), /sha256 mismatch for .*kubelet/);
  assert.ok(!(await listFiles(cacheDir)).some((f) => f.endsWith('kubelet') || f.endsWith('kubelet.sha256')));
});

test('a cached file that no longer matches its sum is downloaded again; offline, missing files are named', async () => {
  const cacheDir = await mkdtemp(join(tmpdir(), 'kubelab-art-'));
  const table = await releaseTable();
  const { fetch, asked } = fakeFetch(table);
  const a = await prepareArtifacts(inv, 'amd64', { cacheDir, offline: false, fetch });
  const kubectl = a.files.find((f) => f.remotePath === '/usr/bin/kubectl')!;
  await writeFile(kubectl.localPath, 'damaged');
  await assert.rejects(prepareArtifacts(inv, 'amd64', { cacheDir, offline: true, fetch }), (e: Error) => e instanceof KubelabError && /offline: kubectl 1\.35\.4/.test(e.message));
  asked.length = 0;
  await prepareArtifacts(inv, 'amd64', { cacheDir, offline: false, fetch });
  assert.deepEqual(asked, [`${BASE}/release/v1.35.4/bin/linux/amd64/kubectl.sha256`, `${BASE}/release/v1.35.4/bin/linux/amd64/kubectl`]);
  assert.equal(sha256Hex(await readFile(kubectl.localPath)), kubectl.sha256);
  assert.equal((await stat(kubectl.localPath)).size, kubectl.size);
});
