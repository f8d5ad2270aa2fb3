/**
 * applyObjects and the rollout waits against the fake API server (direct connection on 127.0.0.1): the
 * requests client-node sends (server-side apply, field manager kubelab, force) and the outcomes reported.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';

import { StepError } from '../../../scripts/engine/errors.js';
import { applyObjects } from '../../../scripts/k8s/apply.js';
import { connectApi, type ApiConnection } from '../../../scripts/k8s/connect.js';
import { waitDaemonSetReady, waitDeploymentAvailable } from '../../../scripts/k8s/wait.js';
import { adminConf, makePki, startFakeApiServer, type FakeApiServer, type TestPki } from './fake-apiserver.js';
import { noTransport } from '../../support/recording-transport.js';


const configMap = (data: Record<string, string>): KubernetesObject & { data: Record<string, string> } => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'kubelab-test', namespace: 'kube-system' },
  data,
});

describe('applyObjects and waits', () => {
  let pki: TestPki;
  let api: FakeApiServer;
  let conn: ApiConnection;
  let kc: KubeConfig;
  before(async () => {
    pki = await makePki();
    api = await startFakeApiServer(pki);
    conn = await connectApi({ kubeconfigYaml: adminConf(pki, `https://master:${api.port}`), controlPlane: { address: '127.0.0.1', transport: noTransport } });
    assert.equal(conn.via, 'direct');
    kc = conn.kc;
  });
  after(async () => {
    await conn?.close();
    await api?.close();
    await pki?.cleanup();
  });

  test('created, then unchanged when applied again as is, then changed; SSA with field manager kubelab, forced', async () => {
    const input = configMap({ a: '1' });
    const frozen = structuredClone(input);
    const first = await applyObjects(kc, [input]);
    assert.deepEqual(
      first.map((r) => [r.kind, r.namespace, r.name, r.outcome]),
      [['ConfigMap', 'kube-system', 'kubelab-test', 'created']],
    );
    assert.deepEqual(input, frozen, 'the caller’s object is not modified');
    const patches = api.requests.filter((r) => r.method === 'PATCH');
    assert.equal(patches.length, 1);
    assert.deepEqual(
      { path: patches[0]!.path, type: patches[0]!.contentType, manager: patches[0]!.query.fieldManager, force: patches[0]!.query.force },
      { path: '/api/v1/namespaces/kube-system/configmaps/kubelab-test', type: 'application/apply-patch+yaml', manager: 'kubelab', force: 'true' },
    );

    const again = await applyObjects(kc, [configMap({ a: '1' })]);
    assert.equal(again[0]!.outcome, 'unchanged');
    const changed = await applyObjects(kc, [configMap({ a: '2' })]);
    assert.equal(changed[0]!.outcome, 'changed');
    assert.deepEqual((api.objects.get('configmaps/kube-system/kubelab-test') as { data: unknown }).data, { a: '2' });
  });

  test('an object the server rejects: StepError naming it with the API server’s message', async () => {
    await assert.rejects(applyObjects(kc, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bad_name', namespace: 'default' } }]), (err: unknown) => {
      assert.ok(err instanceof StepError);
      assert.equal(err.message, 'server-side apply of ConfigMap default/bad_name failed: ConfigMap "bad_name" is invalid: metadata.name: Invalid value: "bad_name"');
      return true;
    });
    await assert.rejects(applyObjects(kc, [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} } as KubernetesObject]), (err: unknown) => {
      assert.ok(err instanceof StepError);
      assert.match(err.message, /cannot apply ConfigMap \?: .*metadata\.name/);
      return true;
    });
  });

  test('waitDaemonSetReady returns once every scheduled pod is updated and ready', async () => {
    await applyObjects(kc, [
      { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds', namespace: 'kube-flannel' }, spec: { selector: { matchLabels: { a: 'b' } } } } as KubernetesObject,
    ]);
    let reads = 0;
    api.onRead = (key, obj) => {
      if (key !== 'daemonsets/kube-flannel/ds') return;
      reads++;
      obj.status = { observedGeneration: 1, desiredNumberScheduled: 2, numberReady: Math.min(reads - 1, 2), updatedNumberScheduled: 2 };
    };
    await waitDaemonSetReady(kc, 'kube-flannel', 'ds', { timeoutMs: 5000, intervalMs: 20 });
    assert.equal(reads, 3);
  });

  test('waitDeploymentAvailable times out with the last status in the message; a missing object is "not yet"', async () => {
    await assert.rejects(waitDeploymentAvailable(kc, 'kube-system', 'missing', { timeoutMs: 150, intervalMs: 20 }), (err: unknown) => {
      assert.ok(err instanceof StepError);
      assert.match(err.message, /timed out after 0 s waiting for Deployment kube-system\/missing: .*not found/);
      return true;
    });
    await applyObjects(kc, [
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'kube-system' }, spec: { replicas: 2 } } as KubernetesObject,
    ]);
    api.onRead = (_key, obj) => {
      obj.status = { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 1, conditions: [{ type: 'Available', status: 'False' }] };
    };
    await assert.rejects(waitDeploymentAvailable(kc, 'kube-system', 'web', { timeoutMs: 150, intervalMs: 20 }), /1\/2 available, 2\/2 updated, 2 total/);
    api.onRead = (_key, obj) => {
      obj.status = { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2, conditions: [{ type: 'Available', status: 'True' }] };
    };
    await waitDeploymentAvailable(kc, 'kube-system', 'web', { timeoutMs: 2000, intervalMs: 20 });
  });
});
