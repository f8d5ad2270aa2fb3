/** metrics-server tls: bootstrap reaches the kubelets through kubeadm's cluster-wide KubeletConfiguration. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kubeletServingBootstrap } from '../../../scripts/inventory/topology.js';
import { renderInitConfig } from '../../../scripts/render/kubeadm.js';
import { testInventory } from '../../support/inventory.js';

const kubelet = (spec: Record<string, unknown>, opts: { serverTLSBootstrap?: boolean } = {}) => {
  const inv = testInventory(spec);
  return renderInitConfig(inv, inv.spec.nodes[0]!, { kubernetesVersion: 'v1.35.2', ...opts }).find((d) => d.kind === 'KubeletConfiguration')!;
};

describe('serverTLSBootstrap from spec.addons.metricsServer', () => {
  it('only with metrics-server enabled and tls: bootstrap', () => {
    assert.equal(kubelet({}).serverTLSBootstrap, undefined);
    assert.equal(kubelet({ addons: { metricsServer: { tls: 'bootstrap' } } }).serverTLSBootstrap, true);
    assert.equal(kubelet({ addons: { metricsServer: { tls: 'bootstrap', enabled: false } } }).serverTLSBootstrap, undefined);
    assert.equal(kubeletServingBootstrap(testInventory({ addons: { metricsServer: { tls: 'bootstrap' } } })), true);
  });

  it('the explicit option still wins', () => {
    assert.equal(kubelet({}, { serverTLSBootstrap: true }).serverTLSBootstrap, true);
    assert.equal(kubelet({ addons: { metricsServer: { tls: 'bootstrap' } } }, { serverTLSBootstrap: false }).serverTLSBootstrap, undefined);
  });
});
