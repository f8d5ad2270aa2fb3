/**
 * `kubelab bundle build` through the real CLI against real artifacts (KUBELAB_TEST_K8S_DIR, made by
 * ../shared/k8s/unpack.sh): the release tree served on 127.0.0.1 as the spec.mirrors, the images in a real
 * registry (Debian's docker-registry, loaded with skopeo) named as the registry mirror of registry.k8s.io and
 * ghcr.io. The checks' default image (agnhost 2.59) is the shared tree's; metrics-server is its v0.8.0 through
 * spec.addons.metricsServer.image (kubelab pins v0.8.1, which the shared tree lacks).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { readBundle } from '../../../scripts/artifacts/bundle.js';
import { imageArchive } from '../../../scripts/artifacts/image-archive.js';
import { prepareArtifacts } from '../../../scripts/artifacts/prepare.js';
import { loadInventory } from '../../../scripts/inventory/load.js';
import type { Inventory } from '../../../scripts/inventory/types.js';
import { controlPlaneImages } from '../../../scripts/artifacts/image-list.js';
import { RegistryClient } from '../../../scripts/artifacts/registry.js';
import { SMOKE_IMAGE } from '../../../scripts/checks/smoke-pods.js';
import { loadLock, lockedFiles } from '../../../scripts/manifests/lock.js';
import { KubelabError } from '../../../scripts/util/errors.js';
import { imageIndex, k8sTestDir, loadImages, K8S_SKIP, registryToolsMissing, serveDir, startRegistry, type Served, type TestRegistry } from '../../support/k8s-artifacts.js';
import { NO_SEED, testSeedDir } from '../../support/seed.js';

const run = promisify(execFile);
const CLI = resolve('dist/scripts/kubelab.js');
const K8S = k8sTestDir();
const seed = testSeedDir();
/** metrics-server as the shared tree builds it (v0.8.0), set as the inventory's image override. */
const METRICS_IMAGE = 'registry.k8s.io/metrics-server/metrics-server:v0.8.0';

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

describe('kubelab bundle build against a local mirror and registry', { skip: !K8S ? K8S_SKIP : !seed ? NO_SEED : registryToolsMissing() }, () => {
  let mirror: Served;
  let registry: TestRegistry;
  let work: string;
  let inventory: string;
  const env = (): NodeJS.ProcessEnv => ({
    ...process.env,
    KUBELAB_ARTIFACT_CACHE: join(work, 'cache', 'artifacts'),
    KUBELAB_MANIFEST_CACHE: join(work, 'cache', 'manifests'),
    KUBELAB_MANIFEST_SEED: seed,
  });
  const bundle = (args: string[]) => run(process.execPath, [CLI, 'bundle', 'build', '-i', inventory, ...args], { cwd: work, env: env(), maxBuffer: 1 << 24 });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'kubelab-bundle-'));
    mirror = await serveDir(join(K8S!, 'mirror'));
    registry = await startRegistry();
    await loadImages(registry, K8S!, [...controlPlaneImages('1.35.4', 'registry.k8s.io'), 'ghcr.io/flannel-io/flannel:v0.28.9', 'ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3', SMOKE_IMAGE, METRICS_IMAGE]);
    inventory = join(work, 'lab.yaml');
    await writeFile(
      inventory,
      stringify({
        apiVersion: 'kubelab/v1',
        kind: 'Cluster',
        metadata: { name: 'bundled' },
        spec: {
          kubernetes: { version: '1.35', install: 'binaries' },
          network: { nodeCidr: '192.168.56.0/24' },
          nodes: [
            { name: 'master', role: 'control-plane', address: '192.168.56.10' },
            { name: 'worker1', role: 'worker', address: '192.168.56.11' },
          ],
          mirrors: { kubernetesReleases: `${mirror.url}/dl.k8s.io`, githubReleases: `${mirror.url}/github.com` },
          runtime: { registryMirrors: { 'registry.k8s.io': [registry.url], 'ghcr.io': [registry.url] } },
          addons: { metricsServer: { image: METRICS_IMAGE } },
        },
      }),
    );
  });

  after(async () => {
    await mirror?.close();
    await registry?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("kubeadm's own image list equals kubelab's, default and custom imageRepository", async () => {
    for (const repo of ['registry.k8s.io', 'registry.aliyuncs.com/google_containers']) {
      const { stdout } = await run(join(K8S!, 'bin', 'kubeadm'), ['config', 'images', 'list', '--kubernetes-version', 'v1.35.4', '--image-repository', repo]);
      assert.deepEqual(controlPlaneImages('1.35.4', repo), stdout.trim().split('\n'), repo);
    }
  });

  it('writes a bundle whose bundle.json sums match the files; images = kubeadm + flannel + smoke image, digests as pushed', async () => {
    const out = join(work, 'bundle');
    const { stdout } = await bundle(['--out', out]);
    assert.match(stdout, /bundle for Kubernetes 1\.35\.4 linux\/amd64/);
    const index = JSON.parse(await readFile(join(out, 'bundle.json'), 'utf8'));
    assert.equal(index.kubernetesVersion, '1.35.4', 'resolved through stable-1.35.txt');
    for (const f of [...index.files, ...index.manifests, ...index.images]) {
      assert.equal(await sha256File(join(out, f.path)), f.sha256, f.path);
    }
    // the release binaries are the mirror's, as its .sha256 files say
    for (const name of ['kubeadm', 'kubelet', 'kubectl']) {
      const f = index.files.find((x: { name: string }) => x.name === name);
      const sum = (await readFile(join(K8S!, 'mirror/dl.k8s.io/release/v1.35.4/bin/linux/amd64', `${name}.sha256`), 'utf8')).trim();
      assert.equal(f.sha256, sum, name);
      assert.equal(f.remotePath, `/usr/bin/${name}`);
    }
    const remote = index.files.filter((f: { remotePath?: string }) => f.remotePath).map((f: { remotePath: string }) => f.remotePath).sort();
    assert.deepEqual(remote, ['/opt/cni/bin/bridge', '/opt/cni/bin/host-local', '/opt/cni/bin/loopback', '/opt/cni/bin/portmap', '/usr/bin/crictl', '/usr/bin/kubeadm', '/usr/bin/kubectl', '/usr/bin/kubelet']);

    // expected images, found independently: kubeadm's answer, `image:` lines of the pinned flannel file, the checks' image
    const { stdout: kubeadm } = await run(join(K8S!, 'bin', 'kubeadm'), ['config', 'images', 'list', '--kubernetes-version', 'v1.35.4']);
    const flannelFile = lockedFiles(await loadLock(), 'flannel')[0]!;
    const flannelText = await readFile(join(seed!, flannelFile.path), 'utf8');
    const flannelImages = [...flannelText.matchAll(/^\s*image:\s*(\S+)\s*$/gm)].map((m) => m[1]!);
    const expected = new Set([...kubeadm.trim().split('\n'), ...flannelImages, SMOKE_IMAGE, METRICS_IMAGE]);
    assert.deepEqual(new Set(index.images.map((i: { ref: string }) => i.ref)), expected);

    const pushed = await imageIndex(K8S!);
    for (const i of index.images) {
      const src = pushed.find((p) => p.ref === i.ref);
      assert.equal(i.digest, src!.digest, i.ref);
    }
    const metricsFiles = lockedFiles(await loadLock(), 'metrics-server').map((f) => f.url);
    assert.deepEqual(index.manifests.map((m: { source: string }) => m.source), [flannelFile.url, ...metricsFiles]);
    // every download said before it starts, as plan and up say theirs: the release number, each release file, each image
    const said = stdout.split('\n').filter((l) => l.startsWith('downloading '));
    const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.ok(said.some((l) => l.startsWith(`downloading the latest 1.35.x release number from ${mirror.url}/dl.k8s.io/release/stable-1.35.txt into `)), said.join('\n'));
    for (const name of ['kubeadm', 'kubelet', 'kubectl']) {
      const f = index.files.find((x: { name: string }) => x.name === name);
      assert.ok(said.some((l) => new RegExp(`^downloading ${name} 1\\.35\\.4 from ${esc(f.source)} into \\S+/${name}$`).test(l)), `${name}: ${said.join('\n')}`);
    }
    for (const i of index.images) {
      assert.ok(said.some((l) => new RegExp(`^downloading image ${esc(i.ref)} \\(linux/amd64\\) from \\S+/manifests/${esc(i.digest)} into \\S+\\.tar$`).test(l)), `${i.ref}: ${said.join('\n')}`);
    }
    assert.ok(stdout.lastIndexOf('downloading ') < stdout.indexOf('bundle for Kubernetes'), 'announced before the bundle is listed');
  });

  it('a second build with the same inventory downloads nothing (no request to the mirror or the registry)', async () => {
    const m = mirror.requests.length;
    const r = registry.requests.length;
    assert.ok(m > 0 && r > 0, 'the first build used both');
    // nothing downloaded, nothing announced: json is the bundle object alone
    const again = await bundle(['--out', join(work, 'bundle'), '--output', 'json']);
    assert.deepEqual(again.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { type: string }).type), ['bundle']);
    const { stdout } = await bundle(['--out', join(work, 'bundle2'), '--archive']);
    assert.doesNotMatch(stdout, /^downloading /m);
    assert.deepEqual(mirror.requests.slice(m), []);
    assert.deepEqual(registry.requests.slice(r), []);
    // --archive: the same folder as one tar, every listed file under bundle2/
    assert.match(stdout, /also as .*bundle2\.tar/);
    const listed = new Set((await run('tar', ['-tf', join(work, 'bundle2.tar')], { maxBuffer: 1 << 24 })).stdout.trim().split('\n'));
    const index = JSON.parse(await readFile(join(work, 'bundle2', 'bundle.json'), 'utf8'));
    for (const f of ['bundle.json', ...[...index.files, ...index.manifests, ...index.images].map((x: { path: string }) => x.path)]) {
      assert.ok(listed.has(`bundle2/${f}`), f);
    }
  });

  it('prepareArtifacts with spec.kubernetes.bundle reads the bundle alone; missing images and damaged files are named', async () => {
    const out = join(work, 'bundle');
    const inv = await loadInventory(inventory);
    const bundled: Inventory = { ...inv, spec: { ...inv.spec, kubernetes: { ...inv.spec.kubernetes, bundle: out } } };
    const m = mirror.requests.length;
    const r = registry.requests.length;
    const cacheDir = join(work, 'empty-cache');
    const required = JSON.parse(await readFile(join(out, 'bundle.json'), 'utf8')).images.map((i: { ref: string }) => i.ref);
    const a = await prepareArtifacts(bundled, 'amd64', { cacheDir, offline: true, requiredImages: required });
    assert.equal(a.kubernetesVersion, '1.35.4');
    assert.deepEqual(a.files.map((f) => f.remotePath).sort(), ['/opt/cni/bin/bridge', '/opt/cni/bin/host-local', '/opt/cni/bin/loopback', '/opt/cni/bin/portmap', '/usr/bin/crictl', '/usr/bin/kubeadm', '/usr/bin/kubectl', '/usr/bin/kubelet']);
    assert.deepEqual(a.images.map((i) => i.ref).sort(), [...required].sort());
    for (const f of [...a.files.map((x) => x.localPath), ...a.images.map((x) => x.archivePath)]) assert.ok(f.startsWith(`${out}/`), f);
    assert.deepEqual([mirror.requests.length, registry.requests.length], [m, r], 'no request');
    await assert.rejects(
      prepareArtifacts(bundled, 'amd64', { cacheDir, offline: true, requiredImages: [...required, 'quay.io/x/y:1'] }),
      /lacks images the cluster runs: quay\.io\/x\/y:1$/,
    );
    await assert.rejects(readBundle(out, { arch: 'arm64', version: '1.35' }), /linux\/amd64, the nodes are linux\/arm64/);
    const crictl = a.files.find((f) => f.remotePath === '/usr/bin/crictl')!;
    await writeFile(crictl.localPath, 'damaged');
    await assert.rejects(prepareArtifacts(bundled, 'amd64', { cacheDir, offline: true }), (e: Error) => e instanceof KubelabError && /files\/extracted\/[0-9a-f]{64}\/crictl: sha256/.test(e.message));
  });

  it('the OCI client refuses a blob the registry serves with other bytes than its digest', async () => {
    const index = await imageIndex(K8S!);
    const pause = index.find((x) => x.ref.startsWith('registry.k8s.io/pause:'))!;
    const manifest = JSON.parse((await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.direct}/${pause.ref.slice('registry.k8s.io/'.length)}`])).stdout);
    const layer: string = manifest.layers[0].digest.slice(7);
    const data = join(registry.storage, 'docker/registry/v2/blobs/sha256', layer.slice(0, 2), layer, 'data');
    const bytes = await readFile(data);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(data, bytes);
    const cacheDir = await mkdtemp(join(work, 'tamper-'));
    const client = new RegistryClient({ 'registry.k8s.io': [registry.url] });
    await assert.rejects(imageArchive(pause.ref, 'amd64', { cacheDir, offline: false, client }), (e: Error) => e instanceof KubelabError && e.message.includes(`digest mismatch for blob sha256:${layer} of ${pause.ref}`));
  });
});
