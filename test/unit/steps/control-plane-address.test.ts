import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { hostContext } from '../../../scripts/engine/run.js';
import { APISERVER_MANIFEST, ETCD_MANIFEST } from '../../../scripts/facts/kubeadm-files.js';
import { INIT_CONFIG } from '../../../scripts/steps/kubeadm-init.js';
import { ADDRESSED_CERTS, controlPlaneAddressStep, readdressBackup } from '../../../scripts/steps/control-plane-address.js';
import { testCluster } from '../../support/cluster.js';
import { testInventory } from '../../support/inventory.js';
import { RecordingPool } from '../../support/plan-fixture.js';
import { RecordedFacts } from '../../support/recorded-facts.js';

// kube-apiserver's static pod manifest as kubeadm v1.35.4 wrote it on the e2e lab's control plane (advertising .10)
const MANIFEST = readFileSync(new URL('../../../../test/fixtures/kubeadm/kube-apiserver-1.35.4.yaml', import.meta.url), 'utf8');

const KUBEADM_SET_UP = '/etc/kubernetes/admin.conf\n/etc/kubernetes/kubelet.conf\n/etc/kubernetes/manifests/kube-apiserver.yaml\n/etc/kubernetes/pki/ca.crt\n/var/lib/etcd/member\n';
/** `ip -o -4 addr show` of a node holding `address` on eth1. */
const IP_ADDR = (address: string): string => `3: eth1    inet ${address}/24 brd 192.168.56.255 scope global eth1\\       valid_lft forever preferred_lft forever\n`;

function setup(manifest: string | null, files = KUBEADM_SET_UP, holds?: string) {
  const inv = testInventory();
  const node = inv.spec.nodes.find((n) => n.role === 'control-plane')!;
  const facts = new RecordedFacts({
    'kubeadm-files': { stdout: files },
    ...(manifest !== null ? { [`file:${APISERVER_MANIFEST}`]: { stdout: manifest } } : {}),
    ...(holds !== undefined ? { 'ipv4-interfaces': { stdout: IP_ADDR(holds) } } : {}),
  });
  const pool = new RecordingPool();
  return { host: hostContext(testCluster(inv, 'apply', pool), node, pool.get(node), facts), facts };
}

describe('control-plane-address step', () => {
  it('a control plane advertising its inventory address: nothing planned', async () => {
    const { host } = setup(MANIFEST);
    assert.deepEqual(await controlPlaneAddressStep.plan(host), []);
  });

  it('a node kubeadm has not initialised: nothing planned, the manifest not read', async () => {
    const { host, facts } = setup(null, '');
    assert.deepEqual(await controlPlaneAddressStep.plan(host), []);
    assert.deepEqual([...facts.asked], ['kubeadm-files']);
  });

  it('an inventory address the node does not hold: refused while planning, nothing changed', async () => {
    const { host } = setup(MANIFEST.replaceAll('192.168.56.10', '192.168.56.30'), KUBEADM_SET_UP, '192.168.56.30');
    await assert.rejects(controlPlaneAddressStep.plan(host), /no interface of master holds it/);
  });

  it('advertising another address: certificates moved aside and issued again, manifests rewritten, kubeconfigs repointed, kubelet restarted, the API server awaited', async () => {
    const moved = MANIFEST.replaceAll('192.168.56.10', '192.168.56.30');
    const facts = {
      'kubeadm-files': { stdout: '/etc/kubernetes/admin.conf\n/etc/kubernetes/manifests/kube-apiserver.yaml\n' },
      [`file:${APISERVER_MANIFEST}`]: { stdout: moved },
      'kubeadm-version': { stdout: 'v1.35.2\n' },
      [`file:${INIT_CONFIG}`]: { stdout: 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n' },
      'ipv4-interfaces': { stdout: IP_ADDR('192.168.56.10') },
    };
    const inv = testInventory();
    const node = inv.spec.nodes.find((n) => n.role === 'control-plane')!;
    const pool = new RecordingPool();
    const host = hostContext(testCluster(inv, 'apply', pool), node, pool.get(node), new RecordedFacts(facts));
    const changes = await controlPlaneAddressStep.plan(host);
    assert.deepEqual(changes.map((c) => c.description), [
      `re-address the control plane 192.168.56.30 -> 192.168.56.10: API server and etcd certificates, static pod manifests, local kubeconfigs (old certificates kept in ${readdressBackup('192.168.56.30')})`,
    ]);
    await changes[0]!.apply(host);
    const rec = pool.get(node);
    assert.equal(rec.commands[0], `put ${INIT_CONFIG} 600`);
    assert.ok(rec.commands[1]!.startsWith('sh -c ') && rec.commands[1]!.endsWith(` sh ${readdressBackup('192.168.56.30')} ${ADDRESSED_CERTS.join(' ')}`), rec.commands[1]);
    assert.deepEqual(rec.commands.filter((c) => c.startsWith('kubeadm ')), [
      `kubeadm init phase certs apiserver --config ${INIT_CONFIG}`,
      `kubeadm init phase certs etcd-server --config ${INIT_CONFIG}`,
      `kubeadm init phase certs etcd-peer --config ${INIT_CONFIG}`,
      `kubeadm init phase etcd local --config ${INIT_CONFIG}`,
      `kubeadm init phase control-plane all --config ${INIT_CONFIG}`,
    ]);
    assert.ok(rec.commands.some((c) => c.endsWith('sh https://192.168.56.30:6443 https://192.168.56.10:6443 /etc/kubernetes/kubelet.conf /etc/kubernetes/controller-manager.conf /etc/kubernetes/scheduler.conf')), rec.commands.join('\n'));
    const restart = rec.commands.indexOf('systemctl restart kubelet');
    assert.ok(restart > 0 && rec.commands[restart + 1]!.startsWith('kubectl --kubeconfig /etc/kubernetes/admin.conf get --raw /readyz'), rec.commands.join('\n'));
    assert.match(rec.puts.get(INIT_CONFIG)!.content, /advertiseAddress: 192\.168\.56\.10/);
    assert.equal(ETCD_MANIFEST, '/etc/kubernetes/manifests/etcd.yaml');
  });
});
