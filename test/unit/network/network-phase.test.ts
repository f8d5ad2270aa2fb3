import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostContext } from '../../../scripts/engine/run.js';
import type { KNode } from '../../../scripts/k8s/api.js';
import { setClusterApi } from '../../../scripts/k8s/cluster-api.js';
import { remoteFactsKey } from '../../../scripts/engine/remote-facts.js';
import { networkPhase } from '../../../scripts/phases/network.js';
import { RENDER_HASH } from '../../../scripts/k8s/apply.js';
import { desiredFlannel, FLANNEL_DAEMONSET } from '../../../scripts/steps/flannel.js';
import { testCluster } from '../../support/cluster.js';
import { FakeApi } from '../../support/fake-api.js';
import { testInventory } from '../../support/inventory.js';
import { RecordedFacts } from '../../support/recorded-facts.js';
import { RecordingPool } from '../../support/plan-fixture.js';
import { NO_SEED, testSeedDir } from '../../support/seed.js';
import { validateK8sObject } from '../../support/k8s-schema.js';

const seed = testSeedDir();
const ipAddr = (nic: string, address: string): string =>
  `1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n` +
  `2: eth0    inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic eth0\\       valid_lft 86000sec preferred_lft 86000sec\n` +
  `3: ${nic}    inet ${address}/24 brd 192.168.56.255 scope global ${nic}\\       valid_lft forever preferred_lft forever\n`;

function setup(opts: { adminConf: boolean; masterNic?: string; workerNic?: string; workerAddr?: string }) {
  const inv = testInventory({ kubernetes: { podSubnet: '10.32.0.0/16' } });
  const master = inv.spec.nodes[0]!;
  const facts = new RecordedFacts({ 'kubeadm-files': { stdout: opts.adminConf ? '/etc/kubernetes/admin.conf\n' : '' } });
  const state = new Map<string, unknown>([
    [remoteFactsKey('master'), new RecordedFacts({ 'ipv4-interfaces': { stdout: ipAddr(opts.masterNic ?? 'eth1', '192.168.56.10') } })],
    [remoteFactsKey('worker1'), new RecordedFacts({ 'ipv4-interfaces': { stdout: ipAddr(opts.workerNic ?? 'eth1', opts.workerAddr ?? '192.168.56.11') } })],
  ]);
  const cluster = testCluster(inv, 'apply', new RecordingPool(), state, { offline: true, manifestSeedDirs: [seed!], manifestCacheDir: '/nonexistent-cache' });
  const api = new FakeApi();
  setClusterApi(cluster, api);
  const host = hostContext(cluster, master, new RecordingPool().get(master), facts);
  return { inv, cluster, host, api };
}

const step = (name: string) => networkPhase.steps.find((s) => s.name === name)!;

/** A Ready Node as the API server returns it, registered with `internalIp`. */
const node = (name: string, internalIp: string): KNode => ({
  metadata: { name },
  status: { addresses: [{ type: 'InternalIP', address: internalIp }], conditions: [{ type: 'Ready', status: 'True' }] },
});

describe('network phase', { skip: seed ? undefined : NO_SEED }, () => {
  it('runs on the control-plane node only', () => {
    const inv = testInventory();
    assert.deepEqual(networkPhase.hosts!(inv).map((n) => n.name), ['master']);
  });

  it('fresh cluster: plans flannel with --iface for each distinct host-only NIC, applies it, waits for the DaemonSet', async () => {
    const { host, api } = setup({ adminConf: false, masterNic: 'eth1', workerNic: 'enp0s8' });
    const changes = await step('flannel').plan(host);
    assert.deepEqual(changes.map((c) => c.description), ['apply flannel (6 objects, --iface eth1,enp0s8)']);
    for (const c of changes) await c.apply(host);
    await step('flannel').verify!(host);
    const ds = api.applied[0]!.find((o) => o.kind === 'DaemonSet') as any;
    const args: string[] = ds.spec.template.spec.containers.find((c: any) => c.name === 'kube-flannel').args;
    assert.deepEqual(args.filter((a) => a.startsWith('--iface')), ['--iface=eth1', '--iface=enp0s8']);
    const cm = api.applied[0]!.find((o) => o.kind === 'ConfigMap') as any;
    assert.equal(JSON.parse(cm.data['net-conf.json']).Network, '10.32.0.0/16');
    for (const o of api.applied[0]!) assert.deepEqual(validateK8sObject(o), [], `${o.kind} validates`);
    assert.deepEqual(api.waited, [`ds kube-flannel/${FLANNEL_DAEMONSET}`]);
  });

  it('already applied (same render hash on every object): no change; an object edited since is a change', async () => {
    const { host, api, cluster } = setup({ adminConf: true });
    for (const o of await desiredFlannel(cluster, ['eth1', 'eth1'])) await api.apply([o]);
    api.applied = [];
    assert.deepEqual(await step('flannel').plan(host), []);
    // someone edited the DaemonSet: its hash annotation no longer matches
    const ds = [...api.live.values()].find((o) => o.kind === 'DaemonSet') as any;
    ds.metadata.annotations[RENDER_HASH] = 'other';
    assert.equal((await step('flannel').plan(host)).length, 1);
  });

  it('a node without an interface holding its address is an error naming it', async () => {
    const { host } = setup({ adminConf: true, workerAddr: '192.168.57.11' });
    await assert.rejects(step('flannel').plan(host), /worker1 has no network interface with its inventory address 192\.168\.56\.11/);
  });

  it('node registered with 10.0.2.15: loud failure naming the missing node-ip fix', async () => {
    const { host, api } = setup({ adminConf: true });
    api.nodes = [node('master', '192.168.56.10'), node('worker1', '10.0.2.15')];
    await assert.rejects(step('node-addresses').verify!(host), (err: Error & { hint?: string }) => {
      assert.match(err.message, /worker1 registered with InternalIP 10\.0\.2\.15, the VirtualBox NAT address .*node-ip fix is missing/);
      assert.match(err.hint!, /--node-ip=192\.168\.56\.11/);
      return true;
    });
    api.nodes[1] = node('worker1', '192.168.56.11');
    await step('node-addresses').verify!(host);
    api.nodes.pop();
    await assert.rejects(step('node-addresses').verify!(host), /worker1 is not registered/);
  });

  it('waits for CoreDNS to be available', async () => {
    const { host, api } = setup({ adminConf: true });
    await step('coredns').verify!(host);
    assert.deepEqual(api.waited, ['deploy kube-system/coredns']);
  });
});
