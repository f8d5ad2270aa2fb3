/**
 * Image overrides (spec.network.flannel.image/cniPluginImage, spec.addons.{metricsServer,nfsProvisioner}.image,
 * spec.checks.image): the rendered objects use them as given, and the bundle's image list follows them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { clusterImages } from '../../../scripts/commands/cluster-artifacts.js';
import { podContainers } from '../../../scripts/manifests/objects.js';
import type { K8sObject } from '../../../scripts/manifests/yaml.js';
import { desiredMetricsServer } from '../../../scripts/steps/addon-metrics-server.js';
import { desiredNfsProvisioner } from '../../../scripts/steps/addon-nfs-provisioner.js';
import { desiredFlannel } from '../../../scripts/steps/flannel.js';
import { SMOKE_IMAGE } from '../../../scripts/checks/smoke-pods.js';
import { TEST_SETTINGS } from '../../support/cluster.js';
import { testInventory } from '../../support/inventory.js';
import { NO_SEED } from '../../support/seed.js';
import { cluster, seed } from './helpers.js';

const METRICS = 'registry.k8s.io/metrics-server/metrics-server:v0.8.0';
const NFS = 'my.registry:5000/lab/nfs-provisioner:v4.0.2';
const FLANNEL = 'my.registry:5000/lab/flannel:v0.28.9';
const CNI = 'my.registry:5000/lab/flannel-cni-plugin:v1.9.1-flannel3';
const CHECKS = 'my.registry:5000/lab/agnhost:2.59';

const OVERRIDES = {
  kubernetes: { version: '1.35.4' },
  nfs: { server: 'master', path: '/srv/nfs' },
  network: { flannel: { image: FLANNEL, cniPluginImage: CNI } },
  addons: { metricsServer: { image: METRICS }, nfsProvisioner: { image: NFS } },
  checks: { image: CHECKS },
};

/** container name -> image, over every workload. */
function images(objs: readonly K8sObject[]): Record<string, string> {
  return Object.fromEntries(objs.flatMap((o) => podContainers(o).map((c) => [String(c.name), String(c.image)])));
}

describe('image overrides', { skip: seed ? undefined : NO_SEED }, () => {
  it('without overrides the pinned images stay; the checks default to agnhost 2.59', async () => {
    const inv = testInventory({ nfs: { server: 'master', path: '/srv/nfs' } });
    assert.equal(inv.spec.checks.image, 'registry.k8s.io/e2e-test-images/agnhost:2.59');
    assert.equal(inv.spec.checks.image, SMOKE_IMAGE);
    assert.match(images(await desiredMetricsServer(cluster(inv)))['metrics-server']!, /^registry\.k8s\.io\/metrics-server\/metrics-server:v0\.8\.1$/);
    assert.match(images(await desiredNfsProvisioner(cluster(inv)))['nfs-client-provisioner']!, /^registry\.k8s\.io\/sig-storage\/nfs-subdir-external-provisioner:/);
    const flannel = images(await desiredFlannel(cluster(inv), ['eth1']));
    assert.match(flannel['kube-flannel']!, /^ghcr\.io\/flannel-io\/flannel:v/);
    assert.equal(flannel['install-cni'], flannel['kube-flannel']);
    assert.match(flannel['install-cni-plugin']!, /^ghcr\.io\/flannel-io\/flannel-cni-plugin:/);
  });

  it('each override replaces its image as given, even with another imageRepository', async () => {
    const inv = testInventory({ ...OVERRIDES, kubernetes: { version: '1.35.4', imageRepository: 'registry.aliyuncs.com/google_containers' } });
    assert.equal(images(await desiredMetricsServer(cluster(inv)))['metrics-server'], METRICS);
    assert.equal(images(await desiredNfsProvisioner(cluster(inv)))['nfs-client-provisioner'], NFS);
    assert.deepEqual(images(await desiredFlannel(cluster(inv), ['eth1'])), { 'install-cni-plugin': CNI, 'install-cni': FLANNEL, 'kube-flannel': FLANNEL });
  });

  it('the bundle image list follows the overrides and holds none of the images they replace', async () => {
    const inv = testInventory(OVERRIDES);
    const settings = { ...TEST_SETTINGS, offline: true, manifestCacheDir: mkdtempSync(join(tmpdir(), 'kubelab-io-')), manifestSeedDirs: [seed!] };
    const list = await clusterImages(inv, settings, '1.35.4');
    for (const i of [METRICS, NFS, FLANNEL, CNI, CHECKS]) assert.ok(list.includes(i), `${i} in ${list.join(' ')}`);
    assert.ok(!list.some((i) => /metrics-server:v0\.8\.1|agnhost:2\.5[0-8]|ghcr\.io\/flannel-io|nfs-subdir/.test(i)), list.join(' '));
  });
});

describe('image override values', () => {
  it('an image without a tag or digest, or with a scheme, is refused at load', () => {
    for (const bad of ['registry.k8s.io/metrics-server/metrics-server', 'https://registry.k8s.io/x:1', 'Registry.k8s.io/X:1', 'my.registry:5000/lab/agnhost']) {
      assert.throws(() => testInventory({ checks: { image: bad } }), /not an image reference with a tag or digest/, bad);
    }
    for (const good of ['my.registry:5000/lab/agnhost:2.59', 'agnhost:2.59', `registry.k8s.io/e2e-test-images/agnhost@sha256:${'a'.repeat(64)}`]) {
      assert.equal(testInventory({ checks: { image: good } }).spec.checks.image, good);
    }
  });
});
