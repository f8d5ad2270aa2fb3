/**
 * kubelab's Kubernetes API code against a real etcd + kube-apiserver v1.35.4 (test/support/apiserver.ts: in a network
 * namespace with only lo, reached through a unix-socket bridge; no kubelet, controller-manager or scheduler): the
 * same functions `up` and `check` use. Server-side apply of flannel and every addon through the steps (kube-prometheus
 * in its two stages, its CRDs Established by the real server), a second run plans nothing and a re-apply changes
 * nothing, a hand edit is taken back; the join token made by the real kubeadm and used as a bearer token; the
 * kubelet-serving CSR step on CSRs created by node identities; kubeconfig merge with the real admin kubeconfig; the
 * checks' API reads and two checks' diagnoses on what the real server answers.
 * Needs root, iproute2 and KUBELAB_TEST_K8S_DIR (bin/etcd, bin/kube-apiserver, bin/kubeadm); skipped otherwise.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  AppsV1Api,
  AuthenticationV1Api,
  CertificatesV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type User,
  type V1Node,
} from '@kubernetes/client-node';

import { runChecks } from '../../../scripts/checks/runner.js';
import { metricsCheck } from '../../../scripts/checks/metrics.js';
import { nodesCheck } from '../../../scripts/checks/nodes.js';
import { StepError } from '../../../scripts/engine/errors.js';
import { hostContext, stepsFor } from '../../../scripts/engine/run.js';
import type { ExecOptions, ExecResult } from '../../../scripts/transport/types.js';
import type { HostContext, TransportPool } from '../../../scripts/engine/types.js';
import { objectsApplyChanges } from '../../../scripts/host/cluster-objects.js';
import { ApiError } from '../../../scripts/k8s/api.js';
import { applyObjects, FIELD_MANAGER, RENDER_HASH } from '../../../scripts/k8s/apply.js';
import { clientNodeApi } from '../../../scripts/k8s/client-node-api.js';
import { setClusterApi, type ClusterApi } from '../../../scripts/k8s/cluster-api.js';
import { connectApi, type ApiConnection } from '../../../scripts/k8s/connect.js';
import { APPROVAL_REASON } from '../../../scripts/k8s/csr.js';
import { BOOTSTRAP_TOKEN_PATTERN, JOIN_TOKEN_TTL_MINUTES, joinToken } from '../../../scripts/k8s/join-token.js';
import { contextName, mergeKubeconfig, renameKubeconfig } from '../../../scripts/k8s/kubeconfig-file.js';
import { KUBELET_SERVING_SIGNER } from '../../../scripts/k8s/kubelet-serving-csr.js';
import { waitDaemonSetReady, waitDeploymentAvailable } from '../../../scripts/k8s/wait.js';
import type { K8sObject } from '../../../scripts/manifests/yaml.js';
import { addonsPhase } from '../../../scripts/phases/addons.js';
import { caCertHash } from '../../../scripts/render/kubeadm.js';
import { crdNames } from '../../../scripts/render/kube-prometheus.js';
import { METRICS_API_SERVICE } from '../../../scripts/render/metrics-server.js';
import { desiredKubePrometheus } from '../../../scripts/steps/addon-kube-prometheus.js';
import { KUBELET_CONFIG_MAP, kubeletServingCertsStep } from '../../../scripts/steps/addon-kubelet-serving-certs.js';
import { desiredMetricsServer } from '../../../scripts/steps/addon-metrics-server.js';
import { desiredNfsProvisioner } from '../../../scripts/steps/addon-nfs-provisioner.js';
import { desiredFlannel } from '../../../scripts/steps/flannel.js';
import { realApiServerMissing, startRealApiServer, type RealApiServer } from '../../support/apiserver.js';
import { testCluster } from '../../support/cluster.js';
import { testInventory } from '../../support/inventory.js';
import { LocalTransport } from '../../support/local-transport.js';
import { certificateRequest, clientCertificate } from '../../support/pki.js';
import { RecordedFacts } from '../../support/recorded-facts.js';
import { noTransport } from '../../support/recording-transport.js';
import { NO_SEED, testSeedDir } from '../../support/seed.js';

const seed = testSeedDir();
const skip = realApiServerMissing() ?? (seed ? undefined : NO_SEED);

/** Every addon on: NFS provisioner, metrics-server with tls: bootstrap (so the CSR step is in the phase), kube-prometheus. */
const inv = testInventory({ nfs: { server: 'master' }, addons: { monitoring: { enabled: true }, metricsServer: { tls: 'bootstrap' } } });
const master = inv.spec.nodes.find((n) => n.name === 'master')!;

const nameOf = (o: K8sObject): string => (o.metadata as { name: string }).name;
const key = (o: { kind?: string; metadata?: { name?: string; namespace?: string } }): string =>
  `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

/** Runs argv inside the API server's namespace (kubeadm there dials the namespace's 127.0.0.1:6443); logs what it ran. */
class NetnsTransport extends LocalTransport {
  readonly logged: string[] = [];
  constructor(private readonly server: RealApiServer) {
    super({
      name: 'master',
      env: { ...process.env, PATH: `${server.binDir}:${process.env.PATH ?? ''}`, KUBECONFIG: server.nsKubeconfigFile },
      logger: { record: (e) => this.logged.push(`${e.command}\n${e.stdout}\n${e.stderr}`) },
    });
  }
  override exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
    return super.exec(this.server.nsArgv(argv), opts);
  }
}

describe('kubelab against a real kube-apiserver v1.35.4', { skip }, () => {
  let server: RealApiServer;
  let conn: ApiConnection;
  let api: ClusterApi;
  let kc: KubeConfig;
  let transport: NetnsTransport;
  let host: HostContext;
  let cacheDir: string;

  before(async () => {
    server = await startRealApiServer();
    conn = await connectApi({ kubeconfigYaml: server.kubeconfigYaml, controlPlane: { address: '127.0.0.1', transport: noTransport } });
    kc = conn.kc;
    api = clientNodeApi(conn);
    transport = new NetnsTransport(server);
    const pool: TransportPool = { get: () => transport, closeAll: async () => undefined };
    cacheDir = await mkdtemp(join(tmpdir(), 'kubelab-real-api-cache-'));
    const cluster = testCluster(inv, 'apply', pool, new Map(), { offline: true, manifestSeedDirs: [seed!], manifestCacheDir: cacheDir });
    setClusterApi(cluster, api);
    // the cluster exists (admin.conf on the control plane): the steps compare with the live objects
    host = hostContext(cluster, master, transport, new RecordedFacts({ 'kubeadm-files': { stdout: '/etc/kubernetes/admin.conf\n' } }));
  });
  after(async () => {
    await conn?.close();
    await server?.close();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  /** The same server as another user (a bootstrap token, a node's client certificate). */
  const kubeconfigAs = (user: User): KubeConfig => {
    const other = new KubeConfig();
    other.loadFromOptions({
      clusters: [{ name: 'c', server: conn.server, caData: Buffer.from(server.pki.caCert).toString('base64'), ...(conn.tlsServerName ? { tlsServerName: conn.tlsServerName } : {}) }],
      users: [user],
      contexts: [{ name: 'x', cluster: 'c', user: user.name }],
      currentContext: 'x',
    });
    return other;
  };

  test('reached directly on loopback, TLS verified against the test CA', () => {
    assert.equal(conn.via, 'direct');
    assert.match(conn.server, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  test('flannel and every addon applied through the steps (kube-prometheus: CRDs Established, then the rest); a second run plans nothing and a re-apply leaves every object unchanged', async () => {
    const c = host.cluster;
    const flannel = await desiredFlannel(c, ['eth1', 'eth1']);
    const { setup, main } = await desiredKubePrometheus(c);
    const nfs = await desiredNfsProvisioner(c);
    const ms = await desiredMetricsServer(c);
    const flannelChange = { addon: 'flannel', stages: [flannel] };

    const planned: string[] = [];
    for (const ch of await objectsApplyChanges(host, flannelChange)) {
      planned.push(`flannel: ${ch.description}`);
      await ch.apply(host);
    }
    for (const s of stepsFor(addonsPhase, master, inv)) {
      for (const ch of await s.plan(host)) {
        planned.push(`${s.name}: ${ch.description}`);
        await ch.apply(host);
      }
    }
    assert.deepEqual(planned, [
      `flannel: apply flannel (${flannel.length} objects)`,
      `nfs-provisioner: apply nfs-subdir-external-provisioner (${nfs.length} objects)`,
      `metrics-server: apply metrics-server (${ms.length} objects)`,
      `kube-prometheus: apply kube-prometheus (${setup.length + main.length} objects)`,
    ]);

    // the CRDs Established by the server itself (the step waited for it between its two stages)
    await api.waitCrdsEstablished(crdNames(setup), 10_000);
    const crd = await api.read(setup.find((o) => o.kind === 'CustomResourceDefinition')!);
    assert.ok((crd?.status as { conditions: { type: string; status: string }[] }).conditions.some((x) => x.type === 'Established' && x.status === 'True'));

    // second run: nothing to do (every object live with its render hash: stagesLive)
    assert.deepEqual(await objectsApplyChanges(host, flannelChange), []);
    for (const s of stepsFor(addonsPhase, master, inv)) assert.deepEqual(await s.plan(host), [], s.name);

    // the same objects applied again: the API server writes nothing (resourceVersion unchanged) for any of them
    const all = [flannel, nfs, ms, setup, main].flat();
    const again = await api.apply(all);
    assert.equal(again.length, all.length);
    assert.deepEqual(
      again.filter((r) => r.outcome !== 'unchanged').map((r) => `${r.kind} ${r.name}: ${r.outcome}`),
      [],
    );
  });

  test('a field changed by hand (merge patch, another field manager) is taken back by the next apply', async () => {
    const flannel = await desiredFlannel(host.cluster, ['eth1', 'eth1']);
    const cm = flannel.find((o) => o.kind === 'ConfigMap')!;
    const ds = flannel.find((o) => o.kind === 'DaemonSet')!;
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const netConf = (cm.data as Record<string, string>)['net-conf.json']!;
    const edited = netConf.replace(/"Network": "[^"]+"/, '"Network": "10.99.0.0/16"');
    assert.notEqual(edited, netConf);
    await objects.patch(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: nameOf(cm), namespace: 'kube-flannel' }, data: { 'net-conf.json': edited } },
      undefined,
      undefined,
      'kubectl-edit',
      undefined,
      PatchStrategy.MergePatch,
    );
    const live = await api.read(cm);
    assert.equal((live?.data as Record<string, string>)['net-conf.json'], edited);
    const managers = (live?.metadata as { managedFields: { manager: string }[] }).managedFields.map((m) => m.manager).sort();
    assert.deepEqual(managers, ['kubectl-edit', 'kubelab']);

    const results = await api.apply([cm, ds]);
    assert.deepEqual(results.map((r) => `${r.kind} ${r.outcome}`), ['ConfigMap changed', 'DaemonSet unchanged']);
    const back = await api.read(cm);
    assert.equal((back?.data as Record<string, string>)['net-conf.json'], netConf);
  });

  test('flannel --iface removed by hand (json patch: the render hash stays): the next plan sees it, names it, and the apply takes it back', async () => {
    const flannel = await desiredFlannel(host.cluster, ['eth1', 'eth1']);
    const change = { addon: 'flannel', stages: [flannel] };
    await api.apply(flannel);
    assert.deepEqual(await objectsApplyChanges(host, change), []);
    const apps = kc.makeApiClient(AppsV1Api);
    const live = await apps.readNamespacedDaemonSet({ namespace: 'kube-flannel', name: 'kube-flannel-ds' });
    const i = live.spec!.template.spec!.containers.findIndex((c) => c.name === 'kube-flannel');
    const args = live.spec!.template.spec!.containers[i]!.args!;
    assert.ok(args.includes('--iface=eth1'));
    await apps.patchNamespacedDaemonSet(
      { namespace: 'kube-flannel', name: 'kube-flannel-ds', fieldManager: 'kubectl-patch', body: [{ op: 'replace', path: `/spec/template/spec/containers/${i}/args`, value: args.filter((a) => !a.startsWith('--iface')) }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    const planned = await objectsApplyChanges(host, change);
    assert.equal(planned.length, 1);
    assert.match(planned[0]!.description, /edited by hand: DaemonSet kube-flannel\/kube-flannel-ds: container kube-flannel args$/);
    await planned[0]!.apply(host);
    const back = await apps.readNamespacedDaemonSet({ namespace: 'kube-flannel', name: 'kube-flannel-ds' });
    assert.deepEqual(back.spec!.template.spec!.containers[i]!.args, args);
    assert.deepEqual(await objectsApplyChanges(host, change), []);
  });

  test('applyObjects: created, unchanged when applied again as is, changed; field manager kubelab, operation Apply; the caller’s object untouched', async () => {
    const configMap = (data: Record<string, string>): K8sObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kubelab-test', namespace: 'kube-system' }, data });
    const input = configMap({ a: '1' });
    const frozen = structuredClone(input);
    const first = await applyObjects(kc, [input as never]);
    assert.deepEqual(first.map((r) => [r.kind, r.namespace, r.name, r.outcome]), [['ConfigMap', 'kube-system', 'kubelab-test', 'created']]);
    assert.deepEqual(input, frozen);
    const fields = (first[0]!.object.metadata?.managedFields ?? []).map((m) => [m.manager, m.operation]);
    assert.deepEqual(fields, [[FIELD_MANAGER, 'Apply']]);
    assert.equal((await applyObjects(kc, [configMap({ a: '1' }) as never]))[0]!.outcome, 'unchanged');
    assert.equal((await applyObjects(kc, [configMap({ a: '2' }) as never]))[0]!.outcome, 'changed');
    assert.deepEqual((await api.read(input))?.data, { a: '2' });
  });

  test('waitDaemonSetReady and waitDeploymentAvailable follow the status the server holds (written here as the controllers would)', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const fast = { intervalMs: 50 };
    const ds = await apps.readNamespacedDaemonSet({ namespace: 'kube-flannel', name: 'kube-flannel-ds' });
    const dsStatus = (ready: number) => ({
      ...ds,
      status: { observedGeneration: ds.metadata!.generation!, desiredNumberScheduled: 2, currentNumberScheduled: 2, numberMisscheduled: 0, numberReady: ready, updatedNumberScheduled: 2 },
    });
    await apps.replaceNamespacedDaemonSetStatus({ namespace: 'kube-flannel', name: 'kube-flannel-ds', body: dsStatus(1) });
    await assert.rejects(waitDaemonSetReady(kc, 'kube-flannel', 'kube-flannel-ds', { ...fast, timeoutMs: 300 }), /timed out after 0 s waiting for DaemonSet kube-flannel\/kube-flannel-ds: 1\/2 ready, 2\/2 updated/);
    let allReady = false;
    const waiting = waitDaemonSetReady(kc, 'kube-flannel', 'kube-flannel-ds', { ...fast, timeoutMs: 20_000 }).then(() => allReady);
    await new Promise((r) => setTimeout(r, 200));
    const latest = await apps.readNamespacedDaemonSet({ namespace: 'kube-flannel', name: 'kube-flannel-ds' });
    allReady = true;
    await apps.replaceNamespacedDaemonSetStatus({ namespace: 'kube-flannel', name: 'kube-flannel-ds', body: { ...dsStatus(2), metadata: latest.metadata } });
    assert.equal(await waiting, true, 'returned only once every pod is ready');

    await assert.rejects(waitDeploymentAvailable(kc, 'kube-system', 'missing', { ...fast, timeoutMs: 200 }), /timed out after 0 s waiting for Deployment kube-system\/missing: .*not found/);
    const dep = await apps.readNamespacedDeployment({ namespace: 'kube-system', name: 'metrics-server' });
    const depStatus = (available: number, cond: string) => ({
      observedGeneration: dep.metadata!.generation!,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: available,
      availableReplicas: available,
      conditions: [{ type: 'Available', status: cond, reason: 'MinimumReplicasAvailable', message: 'x' }],
    });
    await apps.replaceNamespacedDeploymentStatus({ namespace: 'kube-system', name: 'metrics-server', body: { ...dep, status: depStatus(0, 'False') } });
    await assert.rejects(waitDeploymentAvailable(kc, 'kube-system', 'metrics-server', { ...fast, timeoutMs: 300 }), /0\/1 available, 1\/1 updated, 1 total/);
    const dep2 = await apps.readNamespacedDeployment({ namespace: 'kube-system', name: 'metrics-server' });
    await apps.replaceNamespacedDeploymentStatus({ namespace: 'kube-system', name: 'metrics-server', body: { ...dep2, status: depStatus(1, 'True') } });
    await waitDeploymentAvailable(kc, 'kube-system', 'metrics-server', { ...fast, timeoutMs: 5000 });
  });

  test('the server rejects an invalid object: StepError with its own message', async () => {
    await assert.rejects(api.apply([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bad_name', namespace: 'default' } }]), (err: unknown) => {
      assert.ok(err instanceof StepError);
      assert.match(err.message, /^server-side apply of ConfigMap default\/bad_name failed: ConfigMap "bad_name" is invalid: metadata\.name: Invalid value: "bad_name"/);
      return true;
    });
  });

  test('join token: created by the real kubeadm (token on stdin, never logged), a bootstrap token Secret with a 30-minute expiry that authenticates; reused within the run', async () => {
    const t0 = Date.now();
    const token = await joinToken(host);
    assert.match(token, BOOTSTRAP_TOKEN_PATTERN);
    assert.equal(await joinToken(host), token, 'the run keeps its token');
    const [id, secret] = token.split('.') as [string, string];
    const core = kc.makeApiClient(CoreV1Api);
    const s = await core.readNamespacedSecret({ namespace: 'kube-system', name: `bootstrap-token-${id}` });
    assert.equal(s.type, 'bootstrap.kubernetes.io/token');
    const data = Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    assert.equal(data['token-secret'], secret);
    assert.equal(data['usage-bootstrap-authentication'], 'true');
    assert.match(data.description ?? '', /to join nodes to test$/);
    const expires = Date.parse(data.expiration ?? '');
    const ttl = JOIN_TOKEN_TTL_MINUTES * 60_000;
    assert.ok(expires >= Math.floor(t0 / 1000) * 1000 + ttl - 1000 && expires <= Date.now() + ttl, `expiration ${data.expiration}`);

    // what a joining kubelet does with it: authenticate as system:bootstrap:<id>
    const asToken = kubeconfigAs({ name: 'u', token });
    const review = await asToken.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    assert.equal(review.status?.userInfo?.username, `system:bootstrap:${id}`);
    assert.ok(review.status?.userInfo?.groups?.includes('system:bootstrappers:kubeadm:default-node-token'));

    assert.ok(transport.logged.length > 0);
    assert.ok(transport.logged.every((l) => !l.includes(secret)), 'the token secret is in no log line');
  });

  test('the CA hash kubelab computes is the one kubeadm prints in its join command', async () => {
    const r = await transport.exec(['kubeadm', 'token', 'create', '--ttl', '1m', '--print-join-command']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(/--discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})/.exec(r.stdout)?.[1], caCertHash(server.pki.caCert));
  });

  test('kubelet-serving CSRs made by node identities: the step approves the one matching the inventory and fails naming the other', async () => {
    const certs = kc.makeApiClient(CertificatesV1Api);
    const asNode = async (name: string, sans: string[]): Promise<string> => {
      const id = await clientCertificate(server.pki, `/O=system:nodes/CN=system:node:${name}`);
      const nodeKc = kubeconfigAs({ name: 'u', certData: Buffer.from(id.cert).toString('base64'), keyData: Buffer.from(id.key).toString('base64') });
      const pem = await certificateRequest(server.pki, `/O=system:nodes/CN=system:node:${name}`, sans);
      const created = await nodeKc.makeApiClient(CertificatesV1Api).createCertificateSigningRequest({
        body: {
          apiVersion: 'certificates.k8s.io/v1',
          kind: 'CertificateSigningRequest',
          metadata: { generateName: 'csr-' },
          spec: { request: Buffer.from(pem).toString('base64'), signerName: KUBELET_SERVING_SIGNER, usages: ['digital signature', 'key encipherment', 'server auth'] },
        },
      });
      assert.equal(created.spec.username, `system:node:${name}`);
      return created.metadata!.name!;
    };
    const good = await asNode('master', ['DNS:master', 'IP:192.168.56.10']);
    const bad = await asNode('worker1', ['DNS:worker1', 'IP:192.168.56.11', 'IP:192.168.56.99']);
    await api.apply([{ ...KUBELET_CONFIG_MAP, data: { kubelet: 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nserverTLSBootstrap: true\n' } }]);

    const changes = await kubeletServingCertsStep.plan(host);
    assert.deepEqual(changes.map((c) => c.description), ['approve 1 kubelet-serving CSR (master)']);
    for (const c of changes) await c.apply(host);
    const approved = await certs.readCertificateSigningRequest({ name: good });
    assert.deepEqual(
      approved.status?.conditions?.map((c) => [c.type, c.status, c.reason]),
      [['Approved', 'True', APPROVAL_REASON]],
    );
    assert.equal((await certs.readCertificateSigningRequest({ name: bad })).status?.conditions, undefined);
    assert.deepEqual(await kubeletServingCertsStep.plan(host), []);
    await assert.rejects(kubeletServingCertsStep.verify!(host), (err: unknown) => {
      assert.ok(err instanceof StepError);
      assert.match(err.message, new RegExp(`^kubelet-serving CSRs not approved: ${bad} of worker1: .*192\\.168\\.56\\.99`));
      return true;
    });
  });

  test('kubeconfig merge: the real admin kubeconfig renamed and merged into an existing file reaches the server; other entries kept', async () => {
    const name = contextName(inv.metadata.name);
    const incoming = renameKubeconfig(server.kubeconfigYaml, { name, server: conn.server, ...(conn.tlsServerName ? { tlsServerName: conn.tlsServerName } : {}) });
    const existing = 'apiVersion: v1\nkind: Config\nclusters:\n- name: other\n  cluster: { server: "https://127.0.0.1:1" }\nusers:\n- name: other\n  user: { token: x }\ncontexts:\n- name: other\n  context: { cluster: other, user: other }\ncurrent-context: other\n';
    const merged = mergeKubeconfig(existing, incoming);
    assert.equal(merged.currentContext, 'other');
    const loaded = new KubeConfig();
    loaded.loadFromString(merged.text);
    assert.deepEqual(loaded.getContexts().map((c) => c.name), ['other', name]);
    loaded.setCurrentContext(name);
    const namespaces = (await loaded.makeApiClient(CoreV1Api).listNamespace()).items.map((n) => n.metadata?.name);
    assert.ok(namespaces.includes('kube-system') && namespaces.includes('kube-flannel'), namespaces.join(' '));
  });

  test('the checks’ API reads: nodes, pods, events, services, PVCs, storage classes, the APIService; nodes and metrics checks diagnose what the server says', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    // Nodes made by hand (no kubelet here): status written through the status subresource, as a kubelet would
    const node = async (name: string, address: string, ready: { status: string; reason: string; message: string }): Promise<void> => {
      const created = await core.createNode({ body: { apiVersion: 'v1', kind: 'Node', metadata: { name } } });
      const now = new Date();
      const body: V1Node = {
        ...created,
        status: {
          addresses: [{ type: 'InternalIP', address }, { type: 'Hostname', address: name }],
          conditions: [{ type: 'Ready', ...ready, lastHeartbeatTime: now, lastTransitionTime: now }],
        },
      };
      await core.replaceNodeStatus({ name, body });
    };
    await node('master', '192.168.56.10', { status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' });
    await node('worker1', '192.168.56.11', {
      status: 'False',
      reason: 'KubeletNotReady',
      message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
    });
    assert.deepEqual((await api.listNodes()).map((n) => [n.metadata.name, n.status?.addresses?.[0]?.address]), [['master', '192.168.56.10'], ['worker1', '192.168.56.11']]);

    const ns = 'kubelab-real-api';
    assert.equal(await api.namespaceExists(ns), false);
    await api.createNamespace(ns, { 'kubelab.io/test': 'true' });
    assert.equal(await api.namespaceExists(ns), true);
    // what the controller-manager would do (none runs here): the pod's service account
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'default' } } });
    const pod = await api.createPod(ns, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probe', labels: { app: 'probe' } },
      spec: { nodeName: 'worker1', containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10.1' }] },
    } as never);
    assert.equal(pod.status?.phase, 'Pending');
    assert.deepEqual((await api.listPods(ns, 'app=probe')).map((p) => p.metadata.name), ['probe']);
    assert.deepEqual(await api.listPods(ns, 'app=other'), []);
    assert.equal((await api.getPod(ns, 'probe'))?.spec?.nodeName, 'worker1');
    assert.equal(await api.getPod(ns, 'absent'), null);
    await core.createNamespacedEvent({
      namespace: ns,
      body: {
        metadata: { generateName: 'probe.' },
        involvedObject: { kind: 'Pod', name: 'probe', namespace: ns },
        reason: 'FailedCreatePodSandBox',
        message: 'plugin type="flannel" failed (add): loadFlannelSubnetEnv failed: open /run/flannel/subnet.env: no such file or directory',
        type: 'Warning',
        eventTime: undefined as never,
        firstTimestamp: new Date(),
      },
    });
    assert.deepEqual((await api.listEvents(ns, 'probe')).map((e) => e.reason), ['FailedCreatePodSandBox']);
    assert.deepEqual(await api.listEvents(ns, 'other'), []);

    const svc = await api.createService(ns, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'probe' }, ports: [{ port: 80 }] } } as never);
    assert.match(svc.spec?.clusterIP ?? '', /^10\.(9[6-9]|1[01][0-9])\./, 'allocated from --service-cluster-ip-range 10.96.0.0/12');
    assert.ok((svc.spec?.ports?.[0]?.nodePort ?? 0) >= 30000);

    const scs = await api.listStorageClasses();
    const nfsClass = (await desiredNfsProvisioner(host.cluster)).find((o) => o.kind === 'StorageClass')!;
    assert.deepEqual(scs.map((s) => [s.metadata.name, s.provisioner]), [[nameOf(nfsClass), nfsClass.provisioner]]);
    const pvc = await api.createPvc(ns, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Mi' } } } } as never);
    assert.equal(pvc.status?.phase, 'Pending');
    assert.equal((await api.getPvc(ns, 'data'))?.metadata.name, 'data');
    assert.equal(await api.getPv('absent'), null);

    // metrics-server's APIService: its Service has no endpoints (no pods run here); the server says so
    const apiService = await api.getApiService(METRICS_API_SERVICE);
    assert.equal(apiService?.spec?.service?.name, 'metrics-server');
    await assert.rejects(api.waitApiServiceAvailable(METRICS_API_SERVICE, 3000), /timed out .* APIService v1beta1\.metrics\.k8s\.io to be Available/);
    await assert.rejects(api.nodeMetrics(), (err: unknown) => err instanceof ApiError && err.status === 503);

    const run = await runChecks({ inv, api, transports: { get: () => noTransport, closeAll: async () => undefined }, checks: [nodesCheck, metricsCheck] });
    assert.equal(run.cleanup.used, false);
    const [nodes, metrics] = run.results;
    assert.equal(nodes?.ok, false);
    assert.match(nodes?.detail ?? '', /^worker1 NotReady; fine: master$/);
    assert.match(nodes?.diagnosis ?? '', /^worker1 is NotReady because the pod network is not running there/);
    assert.equal(metrics?.ok, false);
    assert.match(metrics?.diagnosis ?? '', /metrics-server has no ready endpoint/);
  });

  test('objects of every kind read back through ClusterApi.read; an absent one is null', async () => {
    const ms = await desiredMetricsServer(host.cluster);
    for (const o of ms) {
      const live = await api.read(o);
      assert.equal(key(live as never), key(o as never));
      assert.ok(((live?.metadata as { annotations?: Record<string, string> }).annotations ?? {})[RENDER_HASH]);
    }
    assert.equal(await api.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'absent', namespace: 'default' } }), null);
  });
});
