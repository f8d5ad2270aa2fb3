import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kubeletServingCsrDecisions } from '../../../scripts/k8s/kubelet-serving-csr.js';
import { parseCertificateRequest } from '../../../scripts/k8s/pkcs10.js';
import { testInventory } from '../../support/inventory.js';
import { recordedCsrs } from './helpers.js';

const inv = testInventory(); // master 192.168.56.10, worker1 192.168.56.11
const csrs = recordedCsrs();
const decisions = kubeletServingCsrDecisions(inv.spec.nodes, csrs);
const decision = (name: string) => {
  const d = decisions.find((x) => x.name === name);
  assert.ok(d, `a decision for ${name}`);
  return d;
};
const request = (name: string): Buffer => Buffer.from(csrs.find((c) => c.metadata.name === name)!.spec.request, 'base64');

describe('PKCS#10 reading', () => {
  it('subject CN/O and subjectAltName DNS/IP (v4 and v6) and email, from EC and RSA requests', () => {
    assert.deepEqual(parseCertificateRequest(request('csr-master-ok')), {
      commonNames: ['system:node:master'],
      organizations: ['system:nodes'],
      san: { dns: ['master'], ip: ['192.168.56.10'], email: [], uri: [], other: [] },
    });
    assert.deepEqual(parseCertificateRequest(request('csr-worker1-ok')).san.ip, ['192.168.56.11']); // RSA
    assert.deepEqual(parseCertificateRequest(request('csr-ipv6')).san.ip, ['192.168.56.11', 'fd00:0:0:0:0:0:0:11']);
    assert.deepEqual(parseCertificateRequest(request('csr-email')).san.email, ['root@worker1']);
    assert.deepEqual(parseCertificateRequest(request('csr-extra-org')).organizations, ['system:nodes', 'system:masters']);
    assert.deepEqual(parseCertificateRequest(request('csr-no-san')).san, { dns: [], ip: [], email: [], uri: [], other: [] });
  });

  it('garbage is an error, not an empty result', () => {
    assert.throws(() => parseCertificateRequest('not a csr'));
    assert.throws(() => parseCertificateRequest(request('csr-master-ok').subarray(0, 200)));
  });
});

describe('kubelet-serving CSR approval', () => {
  it('approves only the kubelet-serving requests of inventory nodes naming their own address and name', () => {
    assert.deepEqual(
      decisions.filter((d) => d.approve).map((d) => [d.name, d.node]),
      [
        ['csr-master-ok', 'master'],
        ['csr-worker1-ok', 'worker1'],
      ],
    );
    assert.match(decision('csr-worker1-ok').reason, /matches worker1 \(192\.168\.56\.11, worker1\)/);
  });

  it('ignores CSRs that are not kubelab\'s: other signers, already approved or denied', () => {
    const seen = new Set(decisions.map((d) => d.name));
    for (const name of ['csr-kubelet-client', 'csr-master-approved', 'csr-worker1-denied']) assert.ok(!seen.has(name), name);
    assert.equal(decisions.length, csrs.length - 3);
  });

  const refusals: [string, RegExp][] = [
    ['csr-worker1-nat', /IP 10\.0\.2\.15 is not worker1's inventory address 192\.168\.56\.11/],
    ['csr-intruder', /system:node:intruder, which is not a node of the inventory/],
    ['csr-spoof', /subject CN system:node:master is not the requester system:node:worker1/],
    ['csr-email', /subjectAltNames other than DNS names and IP addresses/],
    ['csr-wrong-dns', /DNS name master is not the node name worker1/],
    ['csr-ipv6', /IP fd00:0:0:0:0:0:0:11 is not worker1's inventory address/],
    ['csr-extra-org', /subject O system:nodes, system:masters is not system:nodes/],
    ['csr-no-san', /names no IP address or DNS name/],
    ['csr-client-usage', /usages client auth beyond serving/],
    ['csr-no-group', /not in group system:nodes/],
    ['csr-bootstrap-user', /requested by system:bootstrap:abcdef, not a node/],
  ];
  for (const [name, reason] of refusals) {
    it(`refuses ${name}`, () => {
      const d = decision(name);
      assert.equal(d.approve, false);
      assert.match(d.reason, reason);
    });
  }

  it('every pending kubelet-serving request got a decision (no case left untested)', () => {
    assert.deepEqual(
      decisions.map((d) => d.name).sort(),
      ['csr-master-ok', 'csr-worker1-ok', ...refusals.map(([n]) => n)].sort(),
    );
  });

  it('a node missing from the inventory, or at another address, gets nothing', () => {
    const moved = testInventory({
      nodes: [
        { name: 'master', role: 'control-plane', address: '192.168.56.10' },
        { name: 'worker1', role: 'worker', address: '192.168.56.21' },
      ],
    });
    const d = kubeletServingCsrDecisions(moved.spec.nodes, csrs).filter((x) => x.approve);
    assert.deepEqual(d.map((x) => x.name), ['csr-master-ok']);
    const onlyMaster = kubeletServingCsrDecisions(moved.spec.nodes.slice(0, 1), csrs);
    assert.match(onlyMaster.find((x) => x.name === 'csr-worker1-ok')!.reason, /not a node of the inventory/);
  });
});
