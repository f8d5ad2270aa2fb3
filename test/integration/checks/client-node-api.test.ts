/**
 * k8s/client-node-api.ts through the real client-node against the recorded scenarios served over HTTPS on 127.0.0.1
 * (client certificate, TLS verified against the kubeconfig's server name): the requests it makes, the objects
 * it sends, errors mapped to ApiError, and a whole check run passing through it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ApiError } from '../../../scripts/k8s/api.js';
import { clientNodeApi, type ClientNodeApiOptions } from '../../../scripts/k8s/client-node-api.js';
import { CHECKS } from '../../../scripts/checks/index.js';
import { runChecks, SMOKE_NAMESPACE } from '../../../scripts/checks/runner.js';
import { connectApi, type ApiConnection } from '../../../scripts/k8s/connect.js';
import { FakeApi } from '../../support/fake-api.js';
import { fakeClock, FakeSshPool, loadScenario, scenarioInventory, TEST_SETTINGS } from '../../support/check-scenario.js';
import { adminConf, makePki, type TestPki } from '../k8s/fake-apiserver.js';
import { startRestServer, type RestFault, type RestServer } from './rest-server.js';
import { noTransport } from '../../support/recording-transport.js';


describe('ClusterApi on client-node (the smoke checks part)', () => {
  let pki: TestPki;
  const open: { server: RestServer; conn: ApiConnection }[] = [];
  before(async () => {
    pki = await makePki();
  });
  after(async () => {
    for (const o of open) {
      await o.conn.close();
      await o.server.close();
    }
    await pki?.cleanup();
  });

  async function serve(scenario: string, faults: RestFault[] = [], o: ClientNodeApiOptions = {}) {
    const s = loadScenario(scenario);
    const fake = new FakeApi(s);
    const server = await startRestServer(pki, fake, faults);
    const conn = await connectApi({ kubeconfigYaml: adminConf(pki, `https://master:${server.port}`), controlPlane: { address: '127.0.0.1', transport: noTransport } });
    open.push({ server, conn });
    return { s, fake, server, api: clientNodeApi(conn, { retry: { sleep: async () => undefined }, ...o }) };
  }

  async function runAll(s: ReturnType<typeof loadScenario>, api: ReturnType<typeof clientNodeApi>) {
    const clock = fakeClock();
    return runChecks({
      inv: scenarioInventory(s),
      api,
      transports: new FakeSshPool(s.ssh),
      checks: CHECKS,
      settings: TEST_SETTINGS,
      runId: s.runId,
      now: clock.now,
      sleep: clock.sleep,
    });
  }

  it('etcd timing out under load: a create is tried again, and one stored despite its error is read back', async () => {
    // the messages the real kube-apiserver v1.35.4 answered on the emulated e2e lab (a Service create: 422)
    const etcd = 'etcdserver: request timed out';
    const { s, server, api } = await serve('passing', [
      { method: 'POST', path: /\/services$/, code: 422, message: `Service "web" is invalid: spec.clusterIPs: Invalid value: [""]: failed to allocate IP: ${etcd}` },
      { method: 'POST', path: /\/pods$/, code: 500, message: etcd, afterCommit: true },
      { method: 'GET', path: /^\/api\/v1\/nodes$/, code: 500, message: etcd },
    ]);
    const { results } = await runAll(s, api);
    assert.deepEqual(results.map((r) => `${r.name} ${r.status}`), CHECKS.map((c) => `${c.name} passed`), JSON.stringify(results, null, 2));
    const posts = (re: RegExp) => server.requests.filter((r) => r.method === 'POST' && re.test(r.path)).map((r) => (r.body as { metadata: { name: string } }).metadata.name);
    const services = posts(/\/services$/);
    assert.equal(services[0], services[1], 'the Service create refused with the etcd timeout is sent again');
    const pods = posts(/\/pods$/);
    assert.equal(pods[0], pods[1], 'the pod create answered with the etcd timeout is sent again');
    const readBack = server.requests.find((r) => r.method === 'GET' && r.path === `/api/v1/namespaces/${SMOKE_NAMESPACE}/pods/${pods[0]}`);
    assert.ok(readBack, 'the pod stored despite the error ("already exists" on the second try) is read back');
  });

  it('a request deadline: a read the API server holds is abandoned and tried again, and the next try is answered', async () => {
    const { server, api } = await serve('passing', [{ method: 'GET', path: /^\/api\/v1\/nodes$/, hang: true }], { deadlines: { requestTimeoutMs: 300 } });
    const nodes = await api.listNodes();
    assert.ok(nodes.length > 0);
    assert.equal(server.requests.filter((r) => r.path === '/api/v1/nodes').length, 2, 'the held request, then one more');
    await api.close();
  });

  it('a request budget: once spent, the read in flight fails with it and later reads fail at once, without a request', async () => {
    const hold = { method: 'GET', path: /^\/api\/v1\/nodes$/, hang: true } as const;
    const { server, api } = await serve('passing', [hold, hold, hold], { deadlines: { requestTimeoutMs: 60_000, budgetMs: 400 } });
    const t0 = Date.now();
    await assert.rejects(api.listNodes(), (err: Error) => err instanceof ApiError && /^list nodes: the API server's answers took more than 0\.4 s in all/.test(err.message));
    assert.ok(Date.now() - t0 < 30_000, `the budget, not the 60 s request deadline, ended the read (${Date.now() - t0} ms)`);
    const before = server.requests.length;
    await assert.rejects(api.listPvs(), /took more than 0\.4 s in all/);
    await assert.rejects(api.read({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'master' } }), /^StepError: reading Node master failed: .*the API server's answers took more than 0\.4 s in all; no more requests were made$/);
    assert.equal(server.requests.length, before, 'no request reached the server after the budget was spent');
    await api.close();
  });

  it('a whole run on the healthy scenario passes through the real client', async () => {
    const { s, fake, server, api } = await serve('passing');
    const clock = fakeClock();
    const { results, cleanup } = await runChecks({
      inv: scenarioInventory(s),
      api,
      transports: new FakeSshPool(s.ssh),
      checks: CHECKS,
      settings: TEST_SETTINGS,
      runId: s.runId,
      now: clock.now,
      sleep: clock.sleep,
    });
    assert.deepEqual(results.map((r) => `${r.name} ${r.status}`), CHECKS.map((c) => `${c.name} passed`), JSON.stringify(results, null, 2));
    assert.deepEqual(cleanup, { namespace: SMOKE_NAMESPACE, used: true, removed: true });
    assert.equal(fake.namespaces.has(SMOKE_NAMESPACE), false);

    const seen = (method: string, re: RegExp) => server.requests.filter((r) => r.method === method && re.test(r.path));
    assert.deepEqual(seen('POST', /^\/api\/v1\/namespaces$/).map((r) => r.body), [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SMOKE_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'kubelab' } } },
    ]);
    assert.equal(seen('DELETE', /^\/api\/v1\/namespaces\/kubelab-smoke$/).length, 1);
    // The pod body survives client-node's serializer intact: command, nodeName, probe, volumes.
    const server0 = seen('POST', /^\/api\/v1\/namespaces\/kubelab-smoke\/pods$/).map((r) => r.body as { metadata: { name: string }; spec: Record<string, unknown> });
    const netServer = server0.find((b) => b.metadata.name === 'net-server-worker1')!;
    assert.deepEqual(netServer.spec, {
      nodeName: 'worker1',
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      tolerations: [{ operator: 'Exists' }],
      containers: [
        {
          name: 'main',
          image: 'registry.k8s.io/e2e-test-images/agnhost:2.59',
          imagePullPolicy: 'IfNotPresent',
          args: ['netexec', '--http-port=8080'],
          ports: [{ containerPort: 8080, name: 'http' }],
          readinessProbe: { httpGet: { path: '/hostname', port: 8080 }, periodSeconds: 2 },
          terminationMessagePolicy: 'FallbackToLogsOnError',
        },
      ],
    });
    const writer = server0.find((b) => b.metadata.name === 'storage-writer')!;
    assert.deepEqual(writer.spec.volumes, [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }]);
    assert.deepEqual(seen('GET', /\/services\/[^/]+\/proxy\//).map((r) => `${r.path}?${new URLSearchParams(r.query).toString()}`), [
      '/api/v1/namespaces/monitoring/services/prometheus-k8s:web/proxy/api/v1/targets?state=active',
      '/api/v1/namespaces/monitoring/services/grafana:http/proxy/api/health?',
    ]);
    assert.deepEqual(
      seen('GET', /^\/api\/v1\/namespaces\/kube-system\/pods$/).map((r) => r.query.labelSelector ?? ''),
      [''],
    );
  });

  it('pod logs with a container and a byte limit; events by object name; HTTP errors become ApiError with the status', async () => {
    const { server, api } = await serve('metrics-unavailable');
    const log = await api.podLogs('kube-flannel', 'kube-flannel-ds-7mfqv', { container: 'kube-flannel', limitBytes: 4096 });
    assert.match(log, /Using interface with name eth1 and address 192\.168\.56\.10/);
    const logReq = server.requests.find((r) => r.path.endsWith('/log'))!;
    assert.deepEqual(logReq.query, { container: 'kube-flannel', limitBytes: '4096' });
    const events = await api.listEvents('kube-system', 'metrics-server-6f7dd4c4c4-jx7m2');
    assert.deepEqual(events.map((e) => e.reason), ['Unhealthy']);
    assert.equal(server.requests.at(-1)!.query.fieldSelector, 'involvedObject.name=metrics-server-6f7dd4c4c4-jx7m2');
    await assert.rejects(api.nodeMetrics(), (err: Error) => err instanceof ApiError && err.status === 503 && /currently unable to handle the request/.test(err.message));
    assert.equal(await api.getPod('kube-system', 'nope'), null);
    assert.equal(await api.getApiService('v1beta1.custom.metrics.k8s.io'), null);
    const svc = await api.getApiService('v1beta1.metrics.k8s.io');
    assert.equal(svc?.status?.conditions?.[0]?.reason, 'MissingEndpoints');
    const proxied = await api.proxyGet('monitoring', 'alertmanager-main:web', 'api/v2/status');
    assert.equal(proxied.status, 404, 'proxy errors are returned, not thrown');
    await assert.rejects(api.proxyGet('monitoring', '../secrets', 'x'), /not a service reference/);
  });
});
