/**
 * spec.timing.waitFactor reaches every wait: the steps' rollout waits (through the cluster API), the checks' waits
 * (checkSettings), kubeadm init's and join's command timeouts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSettings, DEFAULT_CHECK_SETTINGS } from '../../../scripts/checks/types.js';
import { waitMs } from '../../../scripts/inventory/timing.js';
import type { Inventory } from '../../../scripts/inventory/types.js';
import { metricsServerStep } from '../../../scripts/steps/addon-metrics-server.js';
import { nfsProvisionerStep } from '../../../scripts/steps/addon-nfs-provisioner.js';
import { corednsReadyStep } from '../../../scripts/steps/coredns-ready.js';
import { flannelStep } from '../../../scripts/steps/flannel.js';
import { testInventory } from '../../support/inventory.js';
import { setup } from './helpers.js';

const SPEC = { nfs: { server: 'master', path: '/srv/nfs' } };

/** Each verify wait and the timeout it was given. */
async function verifyWaits(inv: Inventory): Promise<Record<string, number | undefined>> {
  const { host, api } = setup(inv);
  for (const step of [flannelStep, corednsReadyStep, nfsProvisionerStep, metricsServerStep]) await step.verify!(host);
  return Object.fromEntries(api.waitTimeoutMs);
}

describe('waits scaled by spec.timing.waitFactor', () => {
  it('the profile sets the factor: 1 standard, 4 emulated; an explicit one wins', () => {
    assert.equal(testInventory().spec.timing.waitFactor, 1);
    assert.deepEqual(testInventory({ timing: { profile: 'emulated' } }).spec.timing, { profile: 'emulated', waitFactor: 4 });
    assert.deepEqual(testInventory({ timing: { waitFactor: 2.5 } }).spec.timing, { profile: 'standard', waitFactor: 2.5 });
    assert.equal(waitMs(testInventory({ timing: { waitFactor: 2.5 } }), 60_000), 150_000);
    assert.throws(() => testInventory({ timing: { waitFactor: 0.5 } }), /waitFactor 0\.5 is too small/);
    assert.throws(() => testInventory({ timing: { profile: 'fast' } }), /timing\.profile/);
  });

  it('rollout waits of the network and addon steps: the defaults, and four times them when emulated', async () => {
    const standard = await verifyWaits(testInventory(SPEC));
    const expected = {
      'ds kube-flannel/kube-flannel-ds': 300_000,
      'deploy kube-system/coredns': 300_000,
      'deploy nfs-provisioner/nfs-client-provisioner': 300_000,
      'deploy kube-system/metrics-server': 300_000,
      'apiservice v1beta1.metrics.k8s.io': 180_000,
    };
    assert.deepEqual(standard, expected);
    const emulated = await verifyWaits(testInventory({ ...SPEC, timing: { profile: 'emulated' } }));
    assert.deepEqual(emulated, Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, v * 4])));
  });

  it("the checks' waits scale, their poll interval does not", () => {
    assert.deepEqual(checkSettings(testInventory()), DEFAULT_CHECK_SETTINGS);
    const s = checkSettings(testInventory({ timing: { waitFactor: 3 } }));
    assert.equal(s.pollMs, DEFAULT_CHECK_SETTINGS.pollMs);
    for (const k of ['podTimeoutMs', 'metricsWaitMs', 'targetsWaitMs', 'namespaceTimeoutMs', 'claimBindMs', 'probeRetryMs'] as const) {
      assert.equal(s[k], DEFAULT_CHECK_SETTINGS[k] * 3, k);
    }
  });
});
