/** The runner: check selection, the smoke namespace's lifecycle (removed even on failure), errors as results. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../../scripts/util/errors.js';
import { CHECKS } from '../../../scripts/checks/index.js';
import { selectByName } from '../../../scripts/util/select.js';
import { nodesCheck } from '../../../scripts/checks/nodes.js';
import { runChecks, SMOKE_NAMESPACE, summarize } from '../../../scripts/checks/runner.js';
import type { Check } from '../../../scripts/checks/types.js';
import { StepError } from '../../../scripts/engine/errors.js';
import { FakeApi } from '../../support/fake-api.js';
import { fakeClock, FakeSshPool, loadScenario, scenarioInventory, TEST_SETTINGS } from '../../support/check-scenario.js';

function setup(scenario = 'passing') {
  const s = loadScenario(scenario);
  const api = new FakeApi(s);
  const clock = fakeClock();
  const base = { inv: scenarioInventory(s), api, transports: new FakeSshPool(s.ssh), settings: TEST_SETTINGS, runId: s.runId, now: clock.now, sleep: clock.sleep };
  return { api, clock, base };
}

const throwing = (err: Error, usesNamespace = true): Check => ({
  name: 'dns',
  title: 'throws',
  usesNamespace,
  run: async () => {
    throw err;
  },
});

const nsCalls = (api: FakeApi): string[] => api.calls.filter((c) => /^(create|delete)Namespace/.test(c)).map((c) => c.split(' ').slice(0, 2).join(' '));

describe('check selection', () => {
  it('--only keeps the run order and refuses unknown names, listing the valid ones', () => {
    assert.deepEqual(selectByName(CHECKS, ['monitoring', 'nodes', 'dns'], 'check').map((c) => c.name), ['nodes', 'dns', 'monitoring']);
    assert.deepEqual(selectByName(CHECKS, undefined, 'check').map((c) => c.name), ['nodes', 'system-pods', 'dns', 'pod-network', 'services', 'storage', 'metrics', 'monitoring']);
    assert.throws(
      () => selectByName(CHECKS, ['nodes', 'dsn'], 'check'),
      (err: Error) => err instanceof UsageError && err.message === '--only: unknown check dsn (checks: nodes, system-pods, dns, pod-network, services, storage, metrics, monitoring)',
    );
  });

  it('only the selected checks run', async () => {
    const { api, base } = setup();
    const { results } = await runChecks({ ...base, checks: selectByName(CHECKS, ['nodes', 'metrics'], 'check') });
    assert.deepEqual(results.map((r) => r.name), ['nodes', 'metrics']);
    assert.deepEqual(nsCalls(api), [], 'no smoke namespace for checks that create nothing');
    assert.ok(!api.calls.some((c) => c.startsWith('createPod')));
  });
});

describe('the smoke namespace', () => {
  it('is removed even when a check throws; the error becomes the failed result and later checks still run', async () => {
    const { api, base } = setup();
    const { results, cleanup } = await runChecks({ ...base, checks: [throwing(new StepError('kaboom', 'try turning it off and on')), nodesCheck] });
    assert.deepEqual(results[0], { name: 'dns', status: 'failed', ok: false, durationMs: 0, detail: 'error: kaboom', diagnosis: 'try turning it off and on' });
    assert.equal(results[1]!.status, 'passed');
    assert.deepEqual(nsCalls(api), [`createNamespace ${SMOKE_NAMESPACE}`, `deleteNamespace ${SMOKE_NAMESPACE}`]);
    assert.equal(api.namespaces.has(SMOKE_NAMESPACE), false);
    assert.deepEqual(cleanup, { namespace: SMOKE_NAMESPACE, used: true, removed: true });
  });

  it('is removed when the run itself breaks off (a renderer throwing)', async () => {
    const { api, base } = setup();
    await assert.rejects(
      runChecks({
        ...base,
        checks: CHECKS,
        emit: (e) => {
          if (e.type === 'check') throw new Error('stdout closed');
        },
      }),
      /stdout closed/,
    );
    assert.deepEqual(nsCalls(api), [`createNamespace ${SMOKE_NAMESPACE}`, `deleteNamespace ${SMOKE_NAMESPACE}`]);
    assert.equal(api.namespaces.has(SMOKE_NAMESPACE), false);
  });

  it('a leftover one from an interrupted run is removed before a fresh one is created', async () => {
    const { api, base } = setup();
    api.namespaces.add(SMOKE_NAMESPACE);
    const { results } = await runChecks({ ...base, checks: selectByName(CHECKS, ['dns'], 'check') });
    assert.equal(results[0]!.status, 'passed');
    assert.deepEqual(nsCalls(api), [`deleteNamespace ${SMOKE_NAMESPACE}`, `createNamespace ${SMOKE_NAMESPACE}`, `deleteNamespace ${SMOKE_NAMESPACE}`]);
  });

  it('a leftover one stuck terminating fails the checks that need it, not the others, and is reported at the end', async () => {
    const { api, base, clock } = setup();
    api.namespaces.add(SMOKE_NAMESPACE);
    api.deleteNamespace = async (name) => {
      api.calls.push(`deleteNamespace ${name}`);
    };
    const { results, cleanup } = await runChecks({ ...base, checks: selectByName(CHECKS, ['nodes', 'dns'], 'check') });
    assert.deepEqual(
      results.map((r) => [r.name, r.status, r.detail]),
      [
        ['nodes', 'passed', '2 nodes Ready with their inventory addresses (master, worker1)'],
        ['dns', 'failed', `a leftover namespace ${SMOKE_NAMESPACE} is still terminating after 10 s`],
      ],
    );
    assert.ok(!api.calls.some((c) => c.startsWith('createNamespace') || c.startsWith('createPod')));
    assert.equal(cleanup.removed, false);
    assert.match(cleanup.error ?? '', /still terminating after 10 s/);
    assert.equal(clock.slept(), 2 * TEST_SETTINGS.namespaceTimeoutMs);
  });

  it('a deletion blocked by an API that does not answer (the namespace controller\'s discovery) is not waited out', async () => {
    const { api, base, clock } = setup();
    api.namespaces.add(SMOKE_NAMESPACE);
    api.deleteNamespace = async (name) => {
      api.calls.push(`deleteNamespace ${name}`);
    };
    // the condition as a real kube-controller-manager v1.35.4 set it on the qemu lab, metrics-server unreachable
    const message = 'Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: stale GroupVersion discovery: metrics.k8s.io/v1beta1';
    api.live.set(`Namespace//${SMOKE_NAMESPACE}`, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: SMOKE_NAMESPACE },
      status: { phase: 'Terminating', conditions: [{ type: 'NamespaceDeletionDiscoveryFailure', status: 'True', reason: 'DiscoveryFailed', message }] },
    });
    const { results, cleanup } = await runChecks({ ...base, checks: selectByName(CHECKS, ['dns'], 'check') });
    assert.equal(results[0]!.status, 'failed');
    assert.match(results[0]!.detail, /leftover namespace kubelab-smoke cannot be removed: NamespaceDeletionDiscoveryFailure: Discovery failed .*metrics\.k8s\.io\/v1beta1: .*see the metrics check/);
    assert.equal(clock.slept(), 0, 'nothing waited for');
    assert.equal(cleanup.removed, false);
    assert.match(cleanup.error ?? '', /^its deletion is blocked: NamespaceDeletionDiscoveryFailure: .*it goes once that API answers$/);
  });

  it('pods are created only once its "default" ServiceAccount exists (kube-controller-manager makes it later)', async () => {
    const { api, base } = setup();
    api.serviceAccountLag = 3;
    const { results } = await runChecks({ ...base, checks: selectByName(CHECKS, ['dns'], 'check') });
    assert.equal(results[0]!.status, 'passed');
    const saPolls = api.calls.filter((c) => c === `serviceAccountExists ${SMOKE_NAMESPACE}/default`).length;
    assert.equal(saPolls, 4);
    const lastPoll = api.calls.lastIndexOf(`serviceAccountExists ${SMOKE_NAMESPACE}/default`);
    assert.ok(api.calls.findIndex((c) => c.startsWith('createPod')) > lastPoll, 'no pod before the ServiceAccount');
  });

  it('no "default" ServiceAccount within the namespace timeout fails the checks that need it, naming the controller-manager', async () => {
    const { api, base } = setup();
    api.serviceAccountLag = Number.MAX_SAFE_INTEGER;
    const { results } = await runChecks({ ...base, checks: selectByName(CHECKS, ['nodes', 'dns'], 'check') });
    assert.deepEqual(results.map((r) => r.status), ['passed', 'failed']);
    assert.match(results[1]!.detail, /ServiceAccount "default" did not appear within 10 s \(kube-controller-manager creates it/);
    assert.ok(!api.calls.some((c) => c.startsWith('createPod')));
  });

  it('an API error while creating it fails the checks that need it', async () => {
    const { api, base } = setup();
    api.createNamespace = async () => {
      throw new Error('connection reset');
    };
    const { results } = await runChecks({ ...base, checks: selectByName(CHECKS, ['dns', 'pod-network'], 'check') });
    assert.deepEqual(results.map((r) => [r.status, r.detail]), [
      ['failed', `cannot prepare namespace ${SMOKE_NAMESPACE}: error: connection reset`],
      ['failed', `cannot prepare namespace ${SMOKE_NAMESPACE}: error: connection reset`],
    ]);
  });
});

describe('results', () => {
  it('durations come from the clock; summarize counts by status', async () => {
    const { base, clock } = setup();
    const slow: Check = {
      name: 'nodes',
      title: 'slow',
      usesNamespace: false,
      run: async () => {
        await clock.sleep(1234);
        return { ok: true, detail: 'fine', diagnosis: 'not shown when ok' };
      },
    };
    const { results } = await runChecks({ ...base, checks: [slow] });
    assert.deepEqual(results, [{ name: 'nodes', status: 'passed', ok: true, durationMs: 1234, detail: 'fine' }]);
    assert.deepEqual(
      summarize([
        ...results,
        { name: 'dns', status: 'failed', ok: false, durationMs: 1, detail: 'x' },
        { name: 'metrics', status: 'skipped', ok: true, durationMs: 0, detail: 'y' },
      ]),
      { type: 'summary', passed: 1, failed: 1, skipped: 1 },
    );
  });
});
