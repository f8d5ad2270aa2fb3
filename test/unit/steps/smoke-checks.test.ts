import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostContext } from '../../../scripts/engine/run.js';
import { StepError } from '../../../scripts/engine/errors.js';
import { setClusterApi } from '../../../scripts/k8s/cluster-api.js';
import { smokeChecksStep } from '../../../scripts/steps/smoke-checks.js';
import { FakeSshPool, loadScenario, scenarioInventory, withAddons } from '../../support/check-scenario.js';
import { testCluster } from '../../support/cluster.js';
import { FakeApi } from '../../support/fake-api.js';
import { RecordedFacts } from '../../support/recorded-facts.js';

/**
 * The smoke-checks step of `up` against a recorded scenario, through the run's ClusterApi (the fake). The storage
 * check is left out (NFS provisioner off): its data file is named after the run's random id.
 */
function setup(scenario: string) {
  const s = loadScenario(scenario);
  const inv = withAddons(scenarioInventory(s), { nfsProvisioner: { enabled: false } });
  const pool = new FakeSshPool(s.ssh);
  const cluster = testCluster(inv, 'apply', pool);
  const api = new FakeApi(s);
  setClusterApi(cluster, api);
  const master = inv.spec.nodes.find((n) => n.role === 'control-plane')!;
  return { api, cluster, host: hostContext(cluster, master, pool.get(master), new RecordedFacts({})) };
}

describe('smoke-checks step', () => {
  it('a healthy cluster passes, the checks running through the run API and cleaning up their namespace', async () => {
    const { api, cluster, host } = setup('passing');
    await smokeChecksStep.verify!(host);
    const results = cluster.events.filter((e) => e.type === 'check');
    assert.deepEqual(
      results.map((e) => [e.name, e.status]),
      [['nodes', 'passed'], ['system-pods', 'passed'], ['dns', 'passed'], ['pod-network', 'passed'], ['services', 'passed'], ['storage', 'skipped'], ['metrics', 'passed'], ['monitoring', 'passed']],
      'a check event per check in the run stream',
    );
    assert.ok(api.calls.includes('listNodes'));
    assert.ok(api.calls.some((c) => c.startsWith('createPod kubelab-smoke/')), 'smoke pods created');
    assert.equal(api.namespaces.has('kubelab-smoke'), false, 'smoke namespace removed');
  });

  it('a failing check fails the step with its detail and diagnosis', async () => {
    const { cluster, host } = setup('node-missing');
    await assert.rejects(smokeChecksStep.verify!(host), (err: Error) => {
      assert.ok(err instanceof StepError);
      assert.match(err.message, /^4 smoke checks failed: nodes: worker1 not registered;/);
      assert.match(err.hint ?? '', /worker1/);
      assert.match(err.hint ?? '', /run `kubelab check` for the full report/);
      return true;
    });
    const nodes = cluster.events.find((e) => e.type === 'check' && e.name === 'nodes');
    assert.ok(nodes?.type === 'check' && nodes.status === 'failed' && nodes.diagnosis?.includes('worker1'));
  });
});
