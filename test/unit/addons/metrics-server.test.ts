import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  KUBELET_INSECURE_TLS,
  METRICS_SERVER_SET,
  metricsServerSettings,
  renderMetricsServer,
} from '../../../scripts/render/metrics-server.js';
import type { K8sObject } from '../../../scripts/manifests/yaml.js';
import { pinnedObjects } from '../../../scripts/manifests/pinned.js';
import { testInventory } from '../../support/inventory.js';
import { NO_SEED } from '../../support/seed.js';
import { assertSchemaValid, cluster, containerOf, named, once, seed } from './helpers.js';

const inv = testInventory();
const upstream = once(() => pinnedObjects(cluster(inv), METRICS_SERVER_SET));
const args = (objs: readonly K8sObject[]): string[] => containerOf(named(objs, 'Deployment', 'metrics-server', 'kube-system'), 'metrics-server').args;

describe('metrics-server render', { skip: seed ? undefined : NO_SEED }, () => {
  it('insecure (the default): --kubelet-insecure-tls once, upstream args kept in order; schema-valid', async () => {
    assert.deepEqual(metricsServerSettings(inv), { tls: 'insecure', imageRepository: 'registry.k8s.io' });
    const objs = await upstream();
    const out = renderMetricsServer(objs, metricsServerSettings(inv));
    assert.deepEqual(args(out), [...args(objs), KUBELET_INSECURE_TLS]);
    // rendering its own output again does not add a second flag
    assert.equal(args(renderMetricsServer(out, metricsServerSettings(inv))).filter((a) => a === KUBELET_INSECURE_TLS).length, 1);
    assert.equal(out.length, objs.length);
    named(out, 'APIService', 'v1beta1.metrics.k8s.io');
    assertSchemaValid(out);
  });

  it('bootstrap: no --kubelet-insecure-tls (also removed when present)', async () => {
    const insecure = renderMetricsServer(await upstream(), { tls: 'insecure', imageRepository: 'registry.k8s.io' });
    const out = renderMetricsServer(insecure, { tls: 'bootstrap', imageRepository: 'registry.k8s.io' });
    assert.ok(!args(out).some((a) => a.startsWith(KUBELET_INSECURE_TLS)));
    assert.ok(args(out).includes('--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname'));
    assertSchemaValid(out);
  });

  it('the image follows the configured repository (flat name)', async () => {
    const out = renderMetricsServer(await upstream(), { tls: 'insecure', imageRepository: 'my.registry:5000/k8s/' });
    assert.equal(containerOf(named(out, 'Deployment', 'metrics-server'), 'metrics-server').image, 'my.registry:5000/k8s/metrics-server:v0.8.1');
  });
});
