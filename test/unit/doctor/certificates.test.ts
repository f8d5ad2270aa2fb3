/**
 * Certificates read from a node laid out like kubeadm's (a scratch root), by the real fact script through a real
 * shell, parsed with node:crypto: expired and expiring ones found, the API server's SANs checked, and no private
 * key ever in what leaves the node.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { certificatesUnder } from '../../../scripts/facts/certificates.js';
import { readFactBatch } from '../../../scripts/engine/batch-facts.js';
import { certificatesSource, renewalOf } from '../../../scripts/doctor/certificates.js';
import { addressesSource } from '../../../scripts/doctor/addresses.js';
import { nodeCertificates } from '../../../scripts/facts/certificates.js';
import { adminConf, certificateValidFor, makePki, type TestPki } from '../../support/pki.js';
import { LocalTransport } from '../../support/local-transport.js';
import { testInventory } from '../../support/inventory.js';
import { doctorContext } from '../../support/doctor-lab.js';

describe('doctor: certificates', () => {
  let pki: TestPki;
  let root: string;
  let stdout: string;
  const keys: string[] = [];
  const put = async (path: string, text: string): Promise<void> => {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  };

  before(async () => {
    pki = await makePki();
    root = join(pki.dir, 'node');
    const apiserver = await certificateValidFor(pki, '/CN=kube-apiserver', 365, ['DNS:master', 'DNS:kubernetes', 'IP:10.96.0.1', 'IP:192.168.56.99']);
    const etcd = await certificateValidFor(pki, '/CN=master', -1);
    const proxy = await certificateValidFor(pki, '/CN=front-proxy-client', 10);
    const kubelet = await certificateValidFor(pki, '/O=system:nodes/CN=system:node:master', -1);
    keys.push(apiserver.key, etcd.key, proxy.key, kubelet.key, pki.clientKey);
    await put('/etc/kubernetes/pki/ca.crt', pki.caCert);
    await put('/etc/kubernetes/pki/apiserver.crt', apiserver.cert);
    await put('/etc/kubernetes/pki/apiserver.key', apiserver.key);
    await put('/etc/kubernetes/pki/etcd/server.crt', etcd.cert);
    await put('/etc/kubernetes/pki/front-proxy-client.crt', proxy.cert);
    // kubelet keeps its client certificate and key in one file
    await put('/var/lib/kubelet/pki/kubelet-client-current.pem', `${kubelet.cert}${kubelet.key}`);
    await put('/etc/kubernetes/admin.conf', adminConf(pki, 'https://192.168.56.10:6443'));
    const read = await readFactBatch(new LocalTransport(), [certificatesUnder(root)]);
    stdout = read.get(certificatesUnder(root).key)!.result.stdout;
  });
  after(() => pki.cleanup());

  it('reads every certificate with one command and sends no private key off the node', async () => {
    const read = (await readFactBatch(new LocalTransport(), [certificatesUnder(root)])).get(certificatesUnder(root).key)!;
    assert.equal(read.error, undefined);
    const sources = (read.value as { certificates: { source: string }[] }).certificates.map((c) => c.source).sort();
    assert.deepEqual(sources, [
      '/etc/kubernetes/admin.conf client certificate',
      '/etc/kubernetes/pki/apiserver.crt',
      '/etc/kubernetes/pki/ca.crt',
      '/etc/kubernetes/pki/etcd/server.crt',
      '/etc/kubernetes/pki/front-proxy-client.crt',
      '/var/lib/kubelet/pki/kubelet-client-current.pem',
    ]);
    assert.doesNotMatch(stdout, /PRIVATE KEY/);
    assert.doesNotMatch(stdout, /client-key-data/);
    for (const k of keys) {
      const body = k.split('\n')[1]!;
      assert.ok(!stdout.includes(body), 'a key line left the node');
      assert.ok(!stdout.includes(Buffer.from(k).toString('base64').slice(0, 40)), 'a base64 key left the node');
    }
  });

  it('finds the expired and the expiring certificates, grouped by how they are renewed', async () => {
    const inv = testInventory();
    const read = (await readFactBatch(new LocalTransport(), [certificatesUnder(root)])).get(certificatesUnder(root).key)!;
    const ctx = doctorContext(inv, { master: new Map([[nodeCertificates.key, read]]) });
    const findings = await certificatesSource.diagnose(ctx);
    const byCode = findings.map((f) => `${f.code} ${f.node}`).sort();
    assert.deepEqual(byCode, ['cert-expired master', 'cert-expired master', 'cert-expiring master']);
    const kubeadm = findings.find((f) => f.code === 'cert-expired' && f.symptom.includes('etcd/server.crt'))!;
    assert.match(kubeadm.fix, /kubeadm certs renew all/);
    assert.doesNotMatch(kubeadm.symptom, /kubelet-client/);
    // heal renews kubeadm's on the control plane, then restarts the static pods and copies admin.conf again
    assert.deepEqual(kubeadm.repair?.commands?.map((c) => `${c.node}: ${c.argv.join(' ')}`), [
      'master: kubeadm certs renew all',
      'master: sh -c crictl rm -f $(crictl ps -q --name "kube-apiserver|kube-controller-manager|kube-scheduler|etcd")',
    ]);
    assert.deepEqual(kubeadm.repair?.thenPhases, ['control-plane']);
    const kubelet = findings.find((f) => f.code === 'cert-expired' && f.symptom.includes('kubelet-client-current.pem'))!;
    assert.match(kubelet.fix, /kubeadm reset -f/);
    assert.equal(kubelet.repair, undefined, 'an expired kubelet client certificate needs a rejoin: not guessed by heal');
    const expiring = findings.find((f) => f.code === 'cert-expiring')!;
    assert.match(expiring.symptom, /front-proxy-client\.crt \([^)]*in 10 days\)/);
    // the test CA and admin.conf's client certificate (makePki: 2 days) expire soon too; the API server's (365 days) not
    assert.match(expiring.symptom, /pki\/ca\.crt \([^)]*in 2 days\)/);
    assert.match(expiring.symptom, /admin\.conf client certificate/);
    assert.doesNotMatch(expiring.symptom, /apiserver\.crt/);
  });

  it("names an API server certificate that lacks the node's address (address-changed)", async () => {
    const inv = testInventory();
    const read = (await readFactBatch(new LocalTransport(), [certificatesUnder(root)])).get(certificatesUnder(root).key)!;
    const ctx = doctorContext(inv, { master: new Map([[nodeCertificates.key, read]]) });
    const findings = (await addressesSource.diagnose(ctx)).filter((f) => f.symptom.includes('apiserver.crt'));
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.code, 'address-changed');
    assert.match(findings[0]!.symptom, /not valid for 192\.168\.56\.10 \(its IP SANs: 10\.96\.0\.1, 192\.168\.56\.99\)/);
  });

  it('tells kubeadm, kubelet-serving and kubelet-client certificates apart', () => {
    assert.equal(renewalOf('/etc/kubernetes/pki/apiserver.crt'), 'kubeadm');
    assert.equal(renewalOf('/etc/kubernetes/admin.conf client certificate'), 'kubeadm');
    assert.equal(renewalOf('/var/lib/kubelet/pki/kubelet.crt'), 'kubelet-serving');
    assert.equal(renewalOf('/var/lib/kubelet/pki/kubelet-client-current.pem'), 'kubelet-client');
  });
});
