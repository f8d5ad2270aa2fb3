import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostContext } from '../../../scripts/engine/run.js';
import { StepError } from '../../../scripts/engine/errors.js';
import { setClusterApi, type ClusterApi } from '../../../scripts/k8s/cluster-api.js';
import { flagValue, kubeadmFlags, KUBEADM_FLAGS_ENV, withKubeadmFlag } from '../../../scripts/render/kubelet-flags.js';
import { kubeletNodeIpStep } from '../../../scripts/steps/kubelet-node-ip.js';
import { testCluster } from '../../support/cluster.js';
import { testInventory } from '../../support/inventory.js';
import { RecordingPool } from '../../support/plan-fixture.js';
import { RecordedFacts } from '../../support/recorded-facts.js';

// as kubeadm v1.35.4 wrote it on the e2e lab's worker (`cat /var/lib/kubelet/kubeadm-flags.env`)
const JOINED = 'KUBELET_KUBEADM_ARGS="--node-ip=192.168.56.11"\n';
// older kubeadm releases wrote more flags on the same line (format: cmd/kubeadm/app/phases/kubelet/flags.go)
const OLDER = 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock --node-ip=192.168.56.11 --pod-infra-container-image=registry.k8s.io/pause:3.10"\n';

describe('kubeadm-flags.env', () => {
  it('reads the flags and one flag in both forms', () => {
    assert.deepEqual(kubeadmFlags(JOINED), ['--node-ip=192.168.56.11']);
    const flags = kubeadmFlags(OLDER)!;
    assert.equal(flags.length, 3);
    assert.equal(flagValue(flags, 'node-ip'), '192.168.56.11');
    assert.equal(flagValue(['--node-ip', '10.0.2.15'], 'node-ip'), '10.0.2.15');
    assert.equal(flagValue(flags, 'node-labels'), undefined);
    assert.equal(kubeadmFlags('# nothing here\n'), null);
  });

  it('sets a flag in place, replacing every form of it, and changes nothing when it is already so', () => {
    for (const text of [JOINED, OLDER]) {
      const moved = withKubeadmFlag(text, 'node-ip', '192.168.56.21');
      assert.equal(moved, text.replace('192.168.56.11', '192.168.56.21'));
      assert.equal(withKubeadmFlag(moved, 'node-ip', '192.168.56.21'), moved);
    }
    const twice = 'A=1\nKUBELET_KUBEADM_ARGS="--a=1 --node-ip 10.0.2.15 --b=2 --node-ip=1.1.1.1"\n';
    assert.equal(withKubeadmFlag(twice, 'node-ip', '192.168.56.21'), 'A=1\nKUBELET_KUBEADM_ARGS="--a=1 --node-ip=192.168.56.21 --b=2"\n');
    assert.equal(withKubeadmFlag('KUBELET_KUBEADM_ARGS="--a=1"\n', 'node-ip', '192.168.56.21'), 'KUBELET_KUBEADM_ARGS="--a=1 --node-ip=192.168.56.21"\n');
  });

  it('refuses a KUBELET_KUBEADM_ARGS line it cannot rewrite faithfully', () => {
    assert.throws(() => kubeadmFlags("KUBELET_KUBEADM_ARGS='--node-ip=1.1.1.1'\n"), (e: Error) => e instanceof StepError && /not in kubeadm's format/.test(e.message));
  });
});

/** A host with these files (kubeadm-files lists kubelet.conf when `joined`), and an API whose Node reports `ips` in turn. */
// `ip -o -4 addr show` output, written in the format the lab's nodes answered (as in the host logs of the cluster run)
const IP_ADDR = (address: string): string => `1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n3: eth1    inet ${address}/24 brd 192.168.56.255 scope global eth1\\       valid_lft forever preferred_lft forever\n`;

function setup(opts: { joined: boolean; flags?: string; ips?: string[]; holds?: string }) {
  const base = testInventory();
  // the 2 min wait for the Node becomes 1.2 s, polled every 60 ms (below the schema's minimum factor: a test-only
  // value; 120 ms was too short for three polls on a loaded machine)
  const inv = { ...base, spec: { ...base.spec, timing: { ...base.spec.timing, waitFactor: 0.01 } } };
  const node = inv.spec.nodes.find((n) => n.name === 'worker1')!;
  const facts = new RecordedFacts({
    'kubeadm-files': { stdout: opts.joined ? '/etc/kubernetes/kubelet.conf\n/etc/kubernetes/pki/ca.crt\n' : '' },
    ...(opts.flags !== undefined ? { [`file:${KUBEADM_FLAGS_ENV}`]: { stdout: opts.flags } } : {}),
    ...(opts.holds !== undefined ? { 'ipv4-interfaces': { stdout: IP_ADDR(opts.holds) } } : {}),
  });
  const pool = new RecordingPool();
  const cluster = testCluster(inv, 'apply', pool);
  const ips = [...(opts.ips ?? [])];
  let reads = 0;
  const api = {
    listNodes: async () => {
      reads++;
      const ip = ips.length > 1 ? ips.shift()! : ips[0];
      return [{ metadata: { name: 'worker1' }, status: { addresses: ip ? [{ type: 'InternalIP', address: ip }] : [] } }];
    },
  } as unknown as ClusterApi;
  setClusterApi(cluster, api);
  return { host: hostContext(cluster, node, pool.get(node), facts), facts, rec: pool.get(node), reads: () => reads };
}

describe('kubelet-node-ip step', () => {
  it('a node kubeadm has not set up yet: nothing planned, the flags file not even read', async () => {
    const { host, facts } = setup({ joined: false });
    assert.deepEqual(await kubeletNodeIpStep.plan(host), []);
    assert.deepEqual([...facts.asked], ['kubeadm-files']);
  });

  it('--node-ip already the inventory address: nothing planned', async () => {
    const { host } = setup({ joined: true, flags: JOINED });
    assert.deepEqual(await kubeletNodeIpStep.plan(host), []);
  });

  it('the address changed: the flag rewritten, kubelet restarted, and the step waits for the Node to report it', async () => {
    const old = JOINED.replace('192.168.56.11', '192.168.56.31');
    const { host, rec, reads } = setup({ joined: true, flags: old, holds: '192.168.56.11', ips: ['192.168.56.31', '192.168.56.31', '192.168.56.11'] });
    const changes = await kubeletNodeIpStep.plan(host);
    assert.deepEqual(changes.map((c) => c.description), [`kubelet --node-ip 192.168.56.31 -> 192.168.56.11 in ${KUBEADM_FLAGS_ENV}, restart kubelet`]);
    await changes[0]!.apply(host);
    assert.deepEqual(rec.commands, [`put ${KUBEADM_FLAGS_ENV} 644`, 'systemctl restart kubelet']);
    assert.equal(rec.puts.get(KUBEADM_FLAGS_ENV)!.content, JOINED);
    assert.equal(reads(), 3, 'polled until the Node reported the new address');
  });

  it('an inventory address that no interface holds: refused while planning, before anything changes', async () => {
    const { host } = setup({ joined: true, flags: JOINED.replace('192.168.56.11', '192.168.56.31'), holds: '192.168.56.31' });
    await assert.rejects(kubeletNodeIpStep.plan(host), (e: StepError) => /no interface of worker1 holds it \(it has: eth1 192\.168\.56\.31\)/.test(e.message) && /spec\.nodes\[\]\.address/.test(e.hint ?? ''));
  });

  it('a Node that never reports the new address fails the step with what it saw and where to look', async () => {
    const { host } = setup({ joined: true, flags: OLDER.replace('--node-ip=192.168.56.11 ', ''), holds: '192.168.56.11', ips: ['10.0.2.15'] });
    const [change] = await kubeletNodeIpStep.plan(host);
    assert.match(change!.description, /--node-ip unset -> 192\.168\.56\.11/);
    await assert.rejects(change!.apply(host), (e: StepError) => /still reports InternalIP 10\.0\.2\.15/.test(e.message) && /KUBELET_EXTRA_ARGS/.test(e.hint ?? ''));
  });
});
