/**
 * Record mode's writer (engine/recording.ts): facts in order per node with where they were asked, each answer
 * once per phase, secrets redacted as in the host logs plus bootstrap tokens and certificate keys by shape; and
 * the converter (test/support/record-to-fixture.ts) turning a node's planning facts into a plan fixture.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { Recording } from '../../../scripts/engine/recording.js';
import { plannedSpec } from '../../../scripts/commands/recording.js';
import { testInventory } from '../../support/inventory.js';
import { redactRecorded } from '../../../scripts/transport/redact.js';
import { fixtureYaml, planFixtureFromRecording, readRecordedFacts } from '../../support/record-to-fixture.js';
import type { PlanFixture } from '../../support/plan-fixture.js';

const TOKEN = 'k7x2qa.9f3hz0c1m4n8p2r5';
const CERT_KEY = 'a'.repeat(8) + '0123456789abcdef'.repeat(3) + 'b'.repeat(8);
const PASSWORD = 'hunter2-sudo';

function allText(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

describe('record mode: the recording', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubelab-record-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes each node\'s facts in order with phase, step and stage, each answer once per phase', () => {
    const rec = new Recording(join(dir, 'a'), [PASSWORD]);
    rec.writeCommand(['plan', '-i', 'lab.yaml', '--only', 'os']);
    const at = { node: 'master', phase: 'os', step: 'hostname', stage: 'plan' as const };
    rec.fact({ ...at, key: 'hostname', argv: ['hostname'], stdout: 'debian\n', stderr: '', code: 0 });
    rec.fact({ ...at, step: 'etc-hosts', key: 'hostname', argv: ['hostname'], stdout: 'debian\n', stderr: '', code: 0 });
    rec.fact({ ...at, stage: 'apply', key: 'hostname', argv: ['hostname'], stdout: 'master\n', stderr: '', code: 0 });
    rec.fact({ ...at, phase: 'join', step: 'kubeadm-join', for: 'worker1', key: 'file:/etc/kubernetes/pki/ca.crt', argv: ['cat'], stdout: 'PEM', stderr: '', code: 0 });
    rec.fact({ node: 'worker1', phase: 'os', step: 'swap', stage: 'plan', key: 'proc-swaps', argv: ['cat', '/proc/swaps'], stdout: '', stderr: 'x', code: 1 });
    assert.deepEqual(readRecordedFacts(join(dir, 'a'), 'master'), [
      { phase: 'os', step: 'hostname', stage: 'plan', key: 'hostname', argv: ['hostname'], stdout: 'debian\n', stderr: '', code: 0 },
      { phase: 'os', step: 'hostname', stage: 'apply', key: 'hostname', argv: ['hostname'], stdout: 'master\n', stderr: '', code: 0 },
      { phase: 'join', step: 'kubeadm-join', stage: 'plan', for: 'worker1', key: 'file:/etc/kubernetes/pki/ca.crt', argv: ['cat'], stdout: 'PEM', stderr: '', code: 0 },
    ]);
    assert.deepEqual(readRecordedFacts(join(dir, 'a'), 'worker1').map((e) => [e.key, e.code, e.stderr]), [['proc-swaps', 1, 'x']]);
    const cmd = JSON.parse(readFileSync(join(dir, 'a', 'command.json'), 'utf8')) as { command: string[]; recordedAt: string };
    assert.deepEqual(cmd.command, ['kubelab', 'plan', '-i', 'lab.yaml', '--only', 'os']);
    assert.ok(!Number.isNaN(Date.parse(cmd.recordedAt)));
  });

  it('never writes a bootstrap token, a certificate key or a session secret', () => {
    const rec = new Recording(join(dir, 'b'), [PASSWORD]);
    rec.writeCommand(['up', '--token', TOKEN]);
    rec.fact({
      node: 'master',
      phase: 'control-plane',
      key: 'kubeadm-config',
      argv: ['sh', '-c', `echo ${PASSWORD}`],
      stdout: `token: ${TOKEN}\ncertificateKey: ${CERT_KEY}\n[upload-certs] Using certificate key:\n${CERT_KEY}\n--certificate-key ${CERT_KEY}\n`,
      stderr: `kubeadm join 10.0.0.1:6443 --token ${TOKEN} --discovery-token-ca-cert-hash sha256:${'c'.repeat(64)}\n`,
      code: 0,
    });
    const text = allText(join(dir, 'b'));
    assert.ok(!text.includes(TOKEN), text);
    assert.ok(!text.includes(PASSWORD), text);
    assert.ok(!text.includes(CERT_KEY), text);
    // what is not a secret stays: the CA hash a join pins is public, fact data must stay parseable
    assert.ok(text.includes(`sha256:${'c'.repeat(64)}`), text);
    assert.ok(text.includes('<redacted>'));
    // the shape rules leave ordinary names alone
    assert.equal(redactRecorded('kube-proxy.k8s-io.example debian.bookworm ubuntu2404-noble', []), 'kube-proxy.k8s-io.example debian.bookworm ubuntu2404-noble');
  });

  it('converts the facts a node read while planning a phase into a plan fixture, with its origin in a header', () => {
    const d = join(dir, 'c');
    const rec = new Recording(d);
    rec.writeCommand(['plan', '-i', 'lab.yaml']);
    const own = { node: 'worker1', phase: 'join', step: 'kubeadm-join', stage: 'plan' as const };
    rec.fact({ ...own, key: 'kubeadm-files', argv: ['sh', '-c', 'x'], stdout: '', stderr: '', code: 0 });
    rec.fact({ ...own, key: 'kubeadm-files', argv: ['sh', '-c', 'x'], stdout: '/etc/kubernetes/kubelet.conf\n', stderr: '', code: 0 });
    rec.fact({ ...own, stage: 'apply', key: 'kubelet-active', argv: ['systemctl'], stdout: 'active\n', stderr: '', code: 0 });
    rec.fact({ ...own, phase: 'os', key: 'hostname', argv: ['hostname'], stdout: 'w\n', stderr: '', code: 0 });
    rec.fact({ ...own, node: 'master', for: 'worker1', key: 'file:/etc/kubernetes/pki/ca.crt', argv: ['cat'], stdout: 'PEM', stderr: '', code: 0 });
    rec.fact({ node: 'master', phase: 'join', step: 'x', stage: 'plan', key: 'own-master-fact', argv: ['true'], stdout: '', stderr: '', code: 0 });
    // read through the cross-node path on the node itself (flannel reads every node's interfaces, its own too)
    rec.fact({ ...own, for: 'worker1', key: 'ipv4-interfaces', argv: ['ip', '-o', '-4', 'addr', 'show'], stdout: '2: eth1 inet 192.168.56.11/24\n', stderr: '', code: 0 });
    // a recording without spec.yaml (made before it was written): the fixture has no spec, and a warning says so
    const older = planFixtureFromRecording(d, { node: 'worker1', phase: 'join', description: 'x' });
    assert.equal(older.fixture.spec, undefined);
    assert.match(older.warnings.at(-1)!, /spec\.yaml is missing .*write the fixture's spec block by hand/);
    rec.writeSpec({ timing: { profile: 'emulated', waitFactor: 8 }, nodes: [{ name: 'worker1', role: 'worker', address: '192.168.56.11' }] });
    const { fixture, header, warnings } = planFixtureFromRecording(d, { node: 'worker1', phase: 'join', description: 'a recorded worker' });
    assert.deepEqual(fixture, {
      description: 'a recorded worker',
      node: 'worker1',
      spec: { timing: { profile: 'emulated', waitFactor: 8 }, nodes: [{ name: 'worker1', role: 'worker', address: '192.168.56.11' }] },
      facts: { 'kubeadm-files': { argv: ['sh', '-c', 'x'], stdout: '' } },
      clusterFacts: {
        master: { 'file:/etc/kubernetes/pki/ca.crt': { argv: ['cat'], stdout: 'PEM' } },
        worker1: { 'ipv4-interfaces': { argv: ['ip', '-o', '-4', 'addr', 'show'], stdout: '2: eth1 inet 192.168.56.11/24\n' } },
      },
    });
    assert.deepEqual(warnings, ['worker1: fact kubeadm-files had another answer later in join (a change applied in between); the first is kept']);
    const yaml = fixtureYaml(fixture, header);
    assert.match(yaml, /^# Recorded from a real run on \S+ by `kubelab plan -i lab\.yaml`/);
    assert.deepEqual(parse(yaml) as PlanFixture, fixture);
    assert.throws(() => planFixtureFromRecording(d, { node: 'worker1', phase: 'addons', description: '' }), /no fact that worker1 read while planning addons/);
  });

  it("keeps the inventory's planned spec as written, without how the nodes are reached; the run's bundle wins", () => {
    const text = [
      'apiVersion: kubelab/v1',
      'kind: Cluster',
      'metadata: {name: lab}',
      'spec:',
      '  kubernetes: {version: "1.35", install: binaries, bundle: ./old}',
      '  ssh: {user: root, identityFile: ~/.ssh/id_ed25519, port: 2222}',
      '  provider: {type: qemu, sshPortBase: 2320}',
      '  nodes:',
      '    - {name: master, role: control-plane, address: 192.168.56.10, ssh: {host: 127.0.0.1, port: 2320}}',
      '  timing: {profile: emulated}',
    ].join('\n');
    const inv = testInventory({ kubernetes: { version: '1.35', install: 'binaries', bundle: '/work/bundle' } });
    assert.deepEqual(plannedSpec(text, inv), {
      kubernetes: { version: '1.35', install: 'binaries', bundle: '/work/bundle' },
      nodes: [{ name: 'master', role: 'control-plane', address: '192.168.56.10' }],
      timing: { profile: 'emulated' },
    });
  });
});
