/**
 * The checks replayed on API and SSH answers recorded from the real qemu lab (test/fixtures/checks/recorded-*,
 * made by record-to-fixture.ts from the e2e suite's record mode): each gives what the real run gave.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckName } from '../../../scripts/checks/types.js';
import { assertStatuses, replayChecks } from '../../support/check-replay.js';
import { scenarioInventory, withAddons } from '../../support/check-scenario.js';

/** The e2e lab: NFS on master from /srv/nfs/k8s (scenarioInventory), monitoring off. */
const replay = (name: string, only?: CheckName[], namespaceStays = false) =>
  replayChecks(name, only, { inv: (s) => withAddons(scenarioInventory(s), { monitoring: { enabled: false } }), namespaceStays });

describe('checks on recordings of the real lab', () => {
  it('every check of a real run right after the whole up: all pass, each saying what it saw', async () => {
    const r = await replay('recorded-passing');
    assertStatuses(r, { monitoring: 'skipped' });
    assert.equal(r.by('nodes').detail, '2 nodes Ready with their inventory addresses (master, worker1)');
    assert.equal(r.by('dns').detail, 'kubernetes.default resolved on master -> 10.96.0.1, worker1 -> 10.96.0.1');
    assert.equal(r.by('pod-network').detail, '4 pod-to-pod paths answered between master, worker1');
    assert.match(r.by('storage').detail, /^PVC bound to pvc-\S+ \(StorageClass nfs-client\), file written and read back; master:\/srv\/nfs\/k8s\/kubelab-smoke-data-pvc-\S+\/kubelab-smoke\.txt holds it$/);
    assert.match(r.by('metrics').detail, /^master cpu \d+n memory \d+Ki; worker1 cpu \d+n memory \d+Ki$/);
    // restarts under emulation are reported, not hidden, and do not fail a lab whose pods are Ready
    assert.match(r.by('system-pods').detail, /^12 pods Ready in kube-system, kube-flannel, nfs-provisioner; 2 containers restarted: .*kube-controller-manager ×1 \(last: Error exit 1\).*kube-flannel-ds-\S+ kube-flannel ×3 \(last: Error exit 1\)$/);
    for (const x of r.results) assert.equal(x.diagnosis, undefined, `${x.name}: ${x.diagnosis}`);
    assert.equal(r.slept, 0, 'the recorded answers were final: nothing waited for');
  });

  it('every check of a real run: all pass but system-pods, which names the crash-looping NFS provisioner and the restarts', async () => {
    const r = await replay('recorded-provisioner-crashloop');
    assertStatuses(r, { 'system-pods': 'failed', monitoring: 'skipped' });
    assert.equal(r.by('nodes').detail, '2 nodes Ready with their inventory addresses (master, worker1)');
    const sp = r.by('system-pods');
    assert.match(sp.detail, /^1 not Ready of 12 in kube-system, kube-flannel, nfs-provisioner: nfs-provisioner\/nfs-client-provisioner-\S+ on worker1: CrashLoopBackOff; 3 containers restarted: /);
    assert.match(sp.detail, /kube-controller-manager-master kube-controller-manager ×2 \(last: Error exit 1\)/);
    assert.match(sp.diagnosis ?? '', /container nfs-client-provisioner is crash-looping \(4 restarts; last exit Error code 255\); its logs: kubectl logs -p -c nfs-client-provisioner/);
    assert.equal(r.by('dns').detail, 'kubernetes.default resolved on master -> 10.96.0.1, worker1 -> 10.96.0.1');
    assert.equal(r.by('pod-network').detail, '4 pod-to-pod paths answered between master, worker1');
    assert.match(r.by('services').detail, /^ClusterIP 10\.\d+\.\d+\.\d+:80 and NodePort \d+ on 192\.168\.56\.10, 192\.168\.56\.11 answered from master, worker1 \(6 requests\)$/);
    assert.match(r.by('storage').detail, /^PVC bound to pvc-\S+ \(StorageClass nfs-client\), file written and read back; master:\/srv\/nfs\/k8s\/kubelab-smoke-data-pvc-\S+\/kubelab-smoke\.txt holds it$/);
    assert.match(r.by('metrics').detail, /^master cpu \d+n memory \d+Ki; worker1 cpu \d+n memory \d+Ki$/);
    assert.equal(r.slept, 0, 'the recorded answers were final: nothing waited for');
  });

  it('flannel on the NAT NIC (--iface removed): cross-node paths fail, same-node ones answer, flannel\'s own log line names eth0', async () => {
    const r = await replay('recorded-flannel-nat-nic', ['pod-network']);
    const pn = r.by('pod-network');
    assert.equal(pn.status, 'failed');
    assert.match(pn.detail, /^failed: master -> worker1 \(curl: \(7\) .*\), worker1 -> master \(curl: \(7\) .*\); answered: master -> master, worker1 -> worker1$/);
    for (const [node, address] of [['master', '192.168.56.10'], ['worker1', '192.168.56.11']]) {
      assert.ok(
        (pn.diagnosis ?? '').includes(`flannel on ${node} runs on the NAT NIC eth0 (10.0.2.15; its log says "Using interface with name eth0 and address 10.0.2.15"): --iface missing; the kube-flannel DaemonSet needs --iface=<host-only NIC> (${address})`),
        pn.diagnosis,
      );
    }
  });
});

describe('checks on a recording of the real lab powered on again (no kubelab run)', () => {
  it('flannel crash-looping on the control plane: system-pods names it, metrics names the unavailable APIService, the namespace checks name the stuck namespace', async () => {
    const r = await replay('recorded-after-poweron', undefined, true);
    assertStatuses(r, { 'system-pods': 'failed', dns: 'failed', 'pod-network': 'failed', services: 'failed', storage: 'failed', metrics: 'failed', monitoring: 'skipped' });
    assert.match(r.by('system-pods').detail, /^1 not Ready of 12 in kube-system, kube-flannel, nfs-provisioner: kube-flannel\/kube-flannel-ds-\S+ on master: CrashLoopBackOff; /);
    for (const name of ['dns', 'pod-network', 'services', 'storage'] as const) {
      const c = r.by(name);
      assert.match(c.detail, /^a leftover namespace kubelab-smoke cannot be removed: NamespaceDeletionDiscoveryFailure: .*metrics\.k8s\.io\/v1beta1.*: an API group it must list does not answer \(see the metrics check; kubectl get apiservices\)$/, name);
      assert.equal(c.diagnosis, 'namespace kubelab-smoke could not be prepared', name);
    }
    assert.match(r.by('metrics').detail, /^APIService v1beta1\.metrics\.k8s\.io not Available \(FailedDiscoveryCheck: /);
    assert.equal(r.cleanup.removed, false, 'the namespace is still there at the end');
    assert.match(r.cleanup.error ?? '', /^its deletion is blocked: NamespaceDeletionDiscoveryFailure: .*it goes once that API answers$/);
    assert.equal(r.slept, 0, 'nothing waited for: the blocked deletion is seen at once');
  });
});
