import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crdNames } from '../../../scripts/render/kube-prometheus.js';
import { stepsFor } from '../../../scripts/engine/run.js';
import type { Inventory } from '../../../scripts/inventory/types.js';
import { addonsPhase } from '../../../scripts/phases/addons.js';
import { desiredKubePrometheus } from '../../../scripts/steps/addon-kube-prometheus.js';
import { KUBELET_CONFIG_MAP } from '../../../scripts/steps/addon-kubelet-serving-certs.js';
import { desiredMetricsServer } from '../../../scripts/steps/addon-metrics-server.js';
import { desiredNfsProvisioner } from '../../../scripts/steps/addon-nfs-provisioner.js';
import { RENDER_HASH } from '../../../scripts/k8s/apply.js';
import { testInventory } from '../../support/inventory.js';
import { NO_SEED } from '../../support/seed.js';
import { cluster, recordedCsrs, seed, setup } from './helpers.js';

const step = (name: string) => addonsPhase.steps.find((s) => s.name === name)!;
const names = (inv: Inventory): string[] => stepsFor(addonsPhase, inv.spec.nodes[0]!, inv).map((s) => s.name);

/** Plans and (like the engine in apply mode) applies every step of the phase that concerns the host; the change descriptions. */
async function runPhase(h: ReturnType<typeof setup>['host']): Promise<string[]> {
  const out: string[] = [];
  for (const s of stepsFor(addonsPhase, h.node, h.inv)) {
    const changes = await s.plan(h);
    for (const c of changes) await c.apply(h);
    await s.verify?.(h);
    out.push(...changes.map((c) => `${s.name}: ${c.description}`));
  }
  return out;
}

const all = testInventory({ nfs: { server: 'master' }, addons: { monitoring: { enabled: true } } });

describe('addons phase', { skip: seed ? undefined : NO_SEED }, () => {
  it('runs on the control-plane node only, after nothing else of its own: steps in dependency order', () => {
    assert.deepEqual(addonsPhase.hosts!(all).map((n) => n.name), ['master']);
    assert.deepEqual(addonsPhase.steps.map((s) => s.name), ['nfs-provisioner', 'kubelet-serving-certs', 'metrics-server', 'kube-prometheus']);
  });

  it('a disabled addon is not reported (appliesTo): defaults = metrics-server only; NFS by spec.nfs; monitoring opt-in', () => {
    assert.deepEqual(names(testInventory()), ['metrics-server']);
    assert.deepEqual(names(testInventory({ nfs: { server: 'master' } })), ['nfs-provisioner', 'metrics-server']);
    assert.deepEqual(names(all), ['nfs-provisioner', 'metrics-server', 'kube-prometheus']);
    assert.deepEqual(names(testInventory({ addons: { metricsServer: { tls: 'bootstrap' } } })), ['kubelet-serving-certs', 'metrics-server']);
    assert.deepEqual(names(testInventory({ nfs: { server: 'master' }, addons: { nfsProvisioner: { enabled: false }, metricsServer: { enabled: false, tls: 'bootstrap' } } })), []);
  });

  it('fresh cluster: one apply per addon; kube-prometheus setup, CRDs Established, then main; waits; second run: 0 changed', async () => {
    const { host, api } = setup(all);
    const { setup: kpSetup, main: kpMain } = await desiredKubePrometheus(cluster(all));
    const nfs = await desiredNfsProvisioner(cluster(all));
    const ms = await desiredMetricsServer(cluster(all));
    assert.deepEqual(await runPhase(host), [
      `nfs-provisioner: apply nfs-subdir-external-provisioner (${nfs.length} objects)`,
      `metrics-server: apply metrics-server (${ms.length} objects)`,
      `kube-prometheus: apply kube-prometheus (${kpSetup.length + kpMain.length} objects)`,
    ]);
    assert.deepEqual(api.calls, [
      `apply ${nfs.length}`,
      'deploy nfs-provisioner/nfs-client-provisioner',
      `apply ${ms.length}`,
      'deploy kube-system/metrics-server',
      'apiservice v1beta1.metrics.k8s.io',
      `apply ${kpSetup.length}`,
      `crds ${crdNames(kpSetup).length}`,
      `apply ${kpMain.length}`,
      'deploy monitoring/prometheus-operator',
      'deploy monitoring/kube-state-metrics',
      'deploy monitoring/grafana',
      'deploy monitoring/blackbox-exporter',
      'deploy monitoring/prometheus-adapter',
      'ds monitoring/node-exporter',
    ]);
    assert.deepEqual(api.applied[3], kpMain);
    assert.equal(api.waited.find((w) => w.startsWith('crds '))!, `crds ${crdNames(kpSetup).join(',')}`);
    // only metrics-server's APIService is live, pointing at metrics-server
    const apiServices = [...api.live.values()].filter((o) => o.kind === 'APIService') as any[];
    assert.deepEqual(apiServices.map((o) => o.spec.service), [{ name: 'metrics-server', namespace: 'kube-system' }]);

    api.calls = [];
    assert.deepEqual(await runPhase(host), [], 'second run: nothing to change');
    assert.ok(!api.calls.some((c) => c.startsWith('apply')), 'nothing applied the second time');
  });

  it('plan on a node without a cluster yet: each enabled addon is one change, the API is never asked', async () => {
    const { host, api } = setup(all, { adminConf: false });
    const planned = [];
    for (const s of stepsFor(addonsPhase, host.node, host.inv)) planned.push(...(await s.plan(host)).map((c) => c.description));
    assert.equal(planned.length, 3);
    assert.match(planned[2]!, /^apply kube-prometheus \(\d+ objects\)$/);
    assert.deepEqual(api.calls, []);
  });

  it('an object changed since (other hash) or deleted is a change again; so is a new setting', async () => {
    const inv = testInventory({ nfs: { server: 'master' } });
    const { host, api } = setup(inv);
    await runPhase(host);
    assert.deepEqual(await step('nfs-provisioner').plan(host), []);
    const deploy = [...api.live.values()].find((o) => o.kind === 'Deployment' && (o.metadata as any).name === 'nfs-client-provisioner') as any;
    deploy.metadata.annotations[RENDER_HASH] = 'edited';
    assert.equal((await step('nfs-provisioner').plan(host)).length, 1);
    api.live.delete(api.key(deploy));
    assert.equal((await step('nfs-provisioner').plan(host)).length, 1);

    // metrics-server switched to another TLS mode: a different render, so a change
    const other = setup(testInventory({ addons: { metricsServer: { tls: 'bootstrap' } } }));
    other.api.live = api.live;
    assert.equal((await step('metrics-server').plan(other.host)).length, 1);
  });

  it('kube-prometheus: a stale CRD stops the comparison there (instances of missing CRDs are never read)', async () => {
    const { host, api } = setup(all);
    const { setup: kpSetup } = await desiredKubePrometheus(cluster(all));
    await api.apply(kpSetup.slice(1)); // one CRD missing, nothing of main
    let reads = 0;
    const read = api.read.bind(api);
    api.read = async (o) => (reads++, read(o));
    assert.equal((await step('kube-prometheus').plan(host)).length, 1);
    assert.equal(reads, kpSetup.length, 'only the setup stage was read');
  });

  it('a StorageClass whose parameters would change is refused before the apply, with the way out', async () => {
    const inv = testInventory({ nfs: { server: 'master' } });
    const { host, api } = setup(inv);
    await runPhase(host);
    const archiving = setup(testInventory({ nfs: { server: 'master' }, addons: { nfsProvisioner: { archiveOnDelete: true } } }));
    archiving.api.live = api.live;
    await assert.rejects(step('nfs-provisioner').plan(archiving.host), (err: Error & { hint?: string }) => {
      assert.match(err.message, /StorageClass nfs-client exists with .*archiveOnDelete.*"false".*cannot change/);
      assert.match(err.hint!, /kubectl delete storageclass nfs-client/);
      return true;
    });
  });
});

describe('kubelet-serving-certs step (metrics-server tls: bootstrap)', () => {
  const inv = testInventory({ addons: { metricsServer: { tls: 'bootstrap' } } });
  const kubeletConfig = (serverTLSBootstrap: boolean) => ({
    ...KUBELET_CONFIG_MAP,
    data: { kubelet: `apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\n${serverTLSBootstrap ? 'serverTLSBootstrap: true\n' : ''}` },
  });
  const byName = (...names: string[]) => recordedCsrs().filter((c) => names.includes(c.metadata.name));

  it('approves exactly the matching pending CSRs of inventory nodes; second run: nothing', async () => {
    const { host, api } = setup(inv);
    api.live.set(api.key(KUBELET_CONFIG_MAP), kubeletConfig(true));
    api.csrs = byName('csr-master-ok', 'csr-worker1-ok', 'csr-intruder', 'csr-master-approved', 'csr-kubelet-client');
    const s = step('kubelet-serving-certs');
    const changes = await s.plan(host);
    assert.deepEqual(changes.map((c) => c.description), ['approve 2 kubelet-serving CSRs (master, worker1)']);
    for (const c of changes) await c.apply(host);
    await s.verify!(host);
    assert.deepEqual(api.approved, ['csr-master-ok', 'csr-worker1-ok']);
    assert.deepEqual(await s.plan(host), []);
  });

  it('refuses a cluster whose kubelets were not configured with serverTLSBootstrap', async () => {
    const { host, api } = setup(inv);
    api.live.set(api.key(KUBELET_CONFIG_MAP), kubeletConfig(false));
    await assert.rejects(step('kubelet-serving-certs').plan(host), (err: Error & { hint?: string }) => {
      assert.match(err.message, /tls is bootstrap, but .*kubelet-config.* no serverTLSBootstrap: true/);
      assert.match(err.hint!, /tls: insecure/);
      return true;
    });
  });

  it("verify fails naming the reason when a node's only requests are refused (e.g. the NAT address in it)", async () => {
    const { host, api } = setup(inv);
    api.live.set(api.key(KUBELET_CONFIG_MAP), kubeletConfig(true));
    api.csrs = byName('csr-master-ok', 'csr-worker1-nat', 'csr-intruder');
    const s = step('kubelet-serving-certs');
    for (const c of await s.plan(host)) await c.apply(host);
    assert.deepEqual(api.approved, ['csr-master-ok']);
    await assert.rejects(s.verify!(host), (err: Error & { hint?: string }) => {
      assert.match(err.message, /csr-worker1-nat of worker1: IP 10\.0\.2\.15 is not worker1's inventory address 192\.168\.56\.11/);
      assert.ok(!err.message.includes('intruder'), 'requests of non-inventory nodes are not kubelab\'s business');
      assert.match(err.hint!, /--node-ip/);
      return true;
    });
    // once worker1 has an approved request, the stale refused one no longer fails the step
    api.csrs.push(...byName('csr-worker1-ok'));
    for (const c of await s.plan(host)) await c.apply(host);
    await s.verify!(host);
  });
});
