import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { V1DaemonSet, V1Deployment } from '@kubernetes/client-node';

import { daemonSetStatus, deploymentStatus } from '../../../scripts/k8s/rollout-status.js';

const ds = (generation: number, status: V1DaemonSet['status']): V1DaemonSet => ({ metadata: { generation }, status });
const dep = (replicas: number | undefined, generation: number, status: V1Deployment['status']): V1Deployment => ({
  metadata: { generation },
  spec: { replicas, selector: {}, template: {} },
  status,
});

test('DaemonSet: ready only when the current generation is observed and every scheduled pod is updated and ready', () => {
  const full = { currentNumberScheduled: 3, desiredNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3, numberMisscheduled: 0 };
  assert.deepEqual(daemonSetStatus(ds(2, { ...full, observedGeneration: 2 })), { done: true, detail: '3/3 ready, 3/3 updated' });
  assert.deepEqual(daemonSetStatus(ds(3, { ...full, observedGeneration: 2 })), { done: false, detail: 'new generation not observed yet' });
  assert.deepEqual(daemonSetStatus(ds(2, { ...full, observedGeneration: 2, numberReady: 2 })), { done: false, detail: '2/3 ready, 3/3 updated' });
  assert.equal(daemonSetStatus(ds(2, { ...full, observedGeneration: 2, updatedNumberScheduled: 1 })).done, false);
  assert.equal(daemonSetStatus(ds(1, undefined)).done, false, 'no status yet');
});

test('Deployment: available when all replicas are updated and available, none old, and Available is True', () => {
  const ok: V1Deployment['status'] = {
    observedGeneration: 4,
    replicas: 2,
    updatedReplicas: 2,
    availableReplicas: 2,
    conditions: [{ type: 'Available', status: 'True' }],
  };
  assert.deepEqual(deploymentStatus(dep(2, 4, ok)), { done: true, detail: '2/2 available, 2/2 updated, 2 total' });
  assert.equal(deploymentStatus(dep(2, 5, ok)).done, false, 'new generation not observed');
  assert.equal(deploymentStatus(dep(2, 4, { ...ok, replicas: 3 })).done, false, 'an old replica is still there');
  assert.equal(deploymentStatus(dep(2, 4, { ...ok, availableReplicas: 1 })).done, false);
  assert.equal(deploymentStatus(dep(2, 4, { ...ok, conditions: [{ type: 'Available', status: 'False' }] })).done, false);
  assert.equal(deploymentStatus(dep(undefined, 4, { ...ok, replicas: 1, updatedReplicas: 1, availableReplicas: 1 })).done, true, 'replicas defaults to 1');
});
