/**
 * `kubelab class up`'s one download, through the real CLI against real artifacts (KUBELAB_TEST_K8S_DIR): the
 * release tree served on 127.0.0.1 as the roster template's mirrors, the images in a real registry named as the
 * registry mirror. Two students of the same cluster shape get one class bundle, built before their clusters
 * start, every file and image downloaded once; a second class up downloads nothing. The students' nodes are
 * closed ports here (their runs stop unreachable): what is tested is the class's download, not the nodes.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { controlPlaneImages } from '../../../scripts/artifacts/image-list.js';
import { SMOKE_IMAGE } from '../../../scripts/checks/smoke-pods.js';
import { k8sTestDir, loadImages, K8S_SKIP, registryToolsMissing, serveDir, startRegistry, type Served, type TestRegistry } from '../../support/k8s-artifacts.js';
import { NO_SEED, testSeedDir } from '../../support/seed.js';
import { freePorts } from '../../support/sshd.js';

const run = promisify(execFile);
const CLI = resolve('dist/scripts/kubelab.js');
const K8S = k8sTestDir();
const seed = testSeedDir();
const METRICS_IMAGE = 'registry.k8s.io/metrics-server/metrics-server:v0.8.0';

describe('kubelab class up: one download for the class', { skip: !K8S ? K8S_SKIP : !seed ? NO_SEED : registryToolsMissing() }, () => {
  let mirror: Served;
  let registry: TestRegistry;
  let work: string;
  const env = (): NodeJS.ProcessEnv => ({
    ...process.env,
    SSH_AUTH_SOCK: '',
    KUBELAB_PERSIST: '0',
    KUBELAB_ARTIFACT_CACHE: join(work, 'cache', 'artifacts'),
    KUBELAB_MANIFEST_CACHE: join(work, 'cache', 'manifests'),
    KUBELAB_MANIFEST_SEED: seed,
  });
  /** class up as json lines (exit code kept: the students' runs fail, their nodes being closed ports). */
  const classUp = async (): Promise<{ code: number; lines: Record<string, unknown>[] }> => {
    const r = await run(process.execPath, [CLI, 'class', 'up', '-f', 'room.yaml', '-o', 'json'], { cwd: work, env: env(), maxBuffer: 1 << 26 }).then(
      (x) => ({ code: 0, stdout: x.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    return { code: r.code, lines: r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'kubelab-class-bundle-'));
    mirror = await serveDir(join(K8S!, 'mirror'));
    registry = await startRegistry();
    await loadImages(registry, K8S!, [...controlPlaneImages('1.35.4', 'registry.k8s.io'), 'ghcr.io/flannel-io/flannel:v0.28.9', 'ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3', SMOKE_IMAGE, METRICS_IMAGE]);
    const [p1, p2] = await freePorts(2);
    const node = (port: number): object => ({ name: 'solo', role: 'control-plane', address: '192.168.56.10', ssh: { host: '127.0.0.1', port } });
    await writeFile(
      join(work, 'room.yaml'),
      stringify({
        apiVersion: 'kubelab/v1',
        kind: 'Classroom',
        metadata: { name: 'k1' },
        spec: {
          template: {
            kubernetes: { version: '1.35', install: 'binaries' },
            network: { nodeCidr: '192.168.56.0/24' },
            ssh: { user: 'root', agent: false, connectTimeout: 2 },
            mirrors: { kubernetesReleases: `${mirror.url}/dl.k8s.io`, githubReleases: `${mirror.url}/github.com` },
            runtime: { registryMirrors: { 'registry.k8s.io': [registry.url], 'ghcr.io': [registry.url] } },
            addons: { metricsServer: { image: METRICS_IMAGE } },
          },
          students: [
            { name: 'ann', nodes: [node(p1!)] },
            { name: 'ben', nodes: [node(p2!)] },
          ],
        },
      }),
    );
  });

  after(async () => {
    await mirror?.close();
    await registry?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('one bundle for both students, each file and image downloaded once, before any cluster starts; a second class up downloads nothing', async () => {
    const first = await classUp();
    assert.equal(first.code, 2, 'both labs not green (their nodes are closed ports)');
    const downloads = first.lines.filter((l) => l['type'] === 'download');
    const urls = downloads.map((d) => String(d['url']));
    assert.ok(urls.some((u) => u.endsWith('/kubeadm')), urls.join('\n'));
    assert.ok(urls.some((u) => u.includes('/v2/') && u.includes('coredns')), 'images came from the registry');
    assert.equal(new Set(urls).size, urls.length, `no URL downloaded twice:\n${urls.join('\n')}`);
    const firstStart = first.lines.findIndex((l) => l['type'] === 'student-start');
    assert.ok(firstStart > first.lines.lastIndexOf(downloads.at(-1)!), 'every download before the first cluster starts');
    const bundles = await readdir(join(work, '.kubelab', 'class', 'k1', 'bundles'));
    assert.equal(bundles.length, 1, 'one cluster shape, one bundle');
    const index = JSON.parse(await readFile(join(work, '.kubelab', 'class', 'k1', 'bundles', bundles[0]!, 'bundle.json'), 'utf8')) as { kubernetesVersion: string; images: { ref: string }[] };
    assert.equal(index.kubernetesVersion, '1.35.4');
    assert.ok(index.images.some((i) => i.ref === METRICS_IMAGE));
    for (const s of ['ann', 'ben']) {
      const end = first.lines.find((l) => l['type'] === 'student-end' && l['student'] === s)!;
      assert.equal(end['state'], 'not green');
      assert.match(String((end['failures'] as string[]).join('\n')), /solo unreachable/);
    }

    const before = mirror.requests.length + registry.requests.length;
    const second = await classUp();
    assert.equal(second.code, 2);
    assert.deepEqual(second.lines.filter((l) => l['type'] === 'download'), []);
    assert.equal(mirror.requests.length + registry.requests.length, before, 'no request to the mirror or the registry');
  });
});
