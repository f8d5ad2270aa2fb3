/** Classroom rosters: students' inventories derived from the template, and every problem at its roster line. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseRoster } from '../../../scripts/class/roster.js';
import { InventoryError } from '../../../scripts/inventory/errors.js';

const ROSTER = `apiVersion: kubelab/v1
kind: Classroom
metadata: { name: k101 }
spec:
  template:
    kubernetes: { version: "1.35" }
    network: { nodeCidr: 192.168.56.0/24 }
    ssh: { user: vagrant, port: 2200 }
  nodes:
    - { name: master, role: control-plane, address: 192.168.56.10 }
    - { name: worker1, role: worker, address: 192.168.56.11, ssh: { port: 2300 } }
  derive: { addressStep: 20, portStep: 10 }
  students:
    - { name: alice, sshHost: 10.1.0.5 }
    - { name: bob }
    - { name: carol, seat: 5 }
`;

async function problems(text: string): Promise<string[]> {
  try {
    await parseRoster(text, 'room.yaml');
  } catch (err) {
    if (err instanceof InventoryError) return err.format().split('\n');
    throw err;
  }
  assert.fail('the roster was accepted');
}

describe('class roster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubelab-roster-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("derives each student's cluster: name, addresses and SSH ports by seat, sshHost for every node", async () => {
    const room = await parseRoster(ROSTER, 'room.yaml');
    assert.equal(room.name, 'k101');
    const view = room.students.map((s) => ({
      name: s.name,
      seat: s.seat,
      cluster: s.inventory.metadata.name,
      nodes: s.inventory.spec.nodes.map((n) => `${n.name} ${n.address} ${n.ssh.user}@${n.ssh.host}:${n.ssh.port}`),
    }));
    assert.deepEqual(view, [
      { name: 'alice', seat: 0, cluster: 'k101-alice', nodes: ['master 192.168.56.10 vagrant@10.1.0.5:2200', 'worker1 192.168.56.11 vagrant@10.1.0.5:2300'] },
      { name: 'bob', seat: 1, cluster: 'k101-bob', nodes: ['master 192.168.56.30 vagrant@192.168.56.30:2210', 'worker1 192.168.56.31 vagrant@192.168.56.31:2310'] },
      { name: 'carol', seat: 5, cluster: 'k101-carol', nodes: ['master 192.168.56.110 vagrant@192.168.56.110:2250', 'worker1 192.168.56.111 vagrant@192.168.56.111:2350'] },
    ]);
    assert.match(room.students[0]!.inventoryFile, /\.kubelab\/class\/k101\/inventories\/alice\.yaml$/);
    assert.equal((room.students[1]!.generated as { kind: string }).kind, 'Cluster');
    assert.deepEqual(room.limits, { clusters: 10, connections: 64 });
  });

  it('a problem of the shared template is reported once, at its line in the template', async () => {
    const p = await problems(ROSTER.replace('version: "1.35"', 'version: "1.99"'));
    assert.equal(p.length, 1, p.join('\n'));
    assert.match(p[0]!, /^room\.yaml:6:\d+ spec\.template\.kubernetes\.version: /);
  });

  it("a derived value that breaks one student's inventory names the student and the value, at the node it comes from", async () => {
    // seat 13: 192.168.56.10 + 260 is past the /24: 192.168.57.14 and .15
    const p = await problems(ROSTER.replace('{ name: carol, seat: 5 }', '{ name: carol, seat: 13 }'));
    assert.ok(p.length >= 1, p.join('\n'));
    for (const line of p) assert.match(line, /^room\.yaml:1[01]:\d+ spec\.nodes\[[01]\]\.address: student "carol": "192\.168\.57\.1[45]" is outside spec\.network\.nodeCidr/);
  });

  it('roster mistakes: unknown keys with a suggestion, a student twice, a seat taken, a template with nodes', async () => {
    const text = ROSTER.replace('derive: {', 'derve: {')
      .replace('    - { name: bob }\n', '    - { name: bob }\n    - { name: alice, seat: 7 }\n    - { name: dan, seat: 1 }\n')
      .replace('    ssh: { user: vagrant, port: 2200 }\n', '    ssh: { user: vagrant, port: 2200 }\n    nodes: []\n');
    const p = (await problems(text)).join('\n');
    assert.match(p, /room\.yaml:13:3 spec\.derve: unknown key "derve" \(hint: did you mean "derive"\?\)/);
    const q = (await problems(text.replace('derve: {', 'derive: {'))).join('\n');
    assert.match(q, /room\.yaml:9:5 spec\.template\.nodes: the template has no nodes/);
    assert.match(q, /spec\.students\[2\]\.name: student "alice" is listed twice \(also spec\.students\[0\]\)/);
    assert.match(q, /spec\.students\[3\]\.seat: seat 1 is also "bob"'s/);
  });

  it("a student's own inventory file: loaded from the roster's folder; its problems at their lines in that file", async () => {
    const own = `apiVersion: kubelab/v1
kind: Cluster
metadata: { name: erin-lab }
spec:
  kubernetes: { version: "1.35" }
  network: { nodeCidr: 10.10.0.0/24 }
  nodes:
    - { name: cp, role: control-plane, address: 10.10.0.2 }
`;
    writeFileSync(join(dir, 'erin.yaml'), own);
    writeFileSync(join(dir, 'bad.yaml'), own.replace('10.10.0.2', '10.10.9.2'));
    const roster = `${ROSTER}    - { name: erin, inventory: erin.yaml }\n`;
    const room = await parseRoster(roster, join(dir, 'room.yaml'));
    const erin = room.students.find((s) => s.name === 'erin')!;
    assert.equal(erin.inventoryFile, join(dir, 'erin.yaml'));
    assert.equal(erin.inventory.metadata.name, 'erin-lab');
    assert.equal(erin.generated, undefined);

    const p = await problems(roster.replace('erin.yaml', join(dir, 'bad.yaml')).replace('inventory: ', 'sshHost: 10.0.0.1, inventory: '));
    const all = p.join('\n');
    assert.match(all, /room\.yaml:17:\d+ spec\.students\[3\]\.sshHost: sshHost is not used with inventory:/);
    assert.match(all, /room\.yaml:17:\d+ spec\.students\[3\]\.inventory: student "erin": .*bad\.yaml has 1 problem/);
    assert.match(all, /bad\.yaml:8:\d+ spec\.nodes\[0\]\.address: /);
  });

  it('an inventory given as a roster, an empty class and a missing template are refused', async () => {
    assert.match((await problems(ROSTER.replace('kind: Classroom', 'kind: Cluster'))).join('\n'), /^room\.yaml:2:\d+ kind: this is an inventory \(kind: Cluster\), not a roster/);
    assert.match((await problems(ROSTER.replace(/  students:[\s\S]*$/, '  students: []\n'))).join('\n'), /spec\.students: at least one student is needed/);
    const noTemplate = ROSTER.replace(/  template:\n(    .*\n)+/, '');
    assert.match((await problems(noTemplate)).join('\n'), /spec\.students\[0\]: student "alice" needs spec\.template/);
  });

  it("two students' own inventories with the same cluster name are refused (their state would mix)", async () => {
    const own = (name: string): string => `apiVersion: kubelab/v1\nkind: Cluster\nmetadata: { name: ${name} }\nspec:\n  kubernetes: { version: "1.35" }\n  network: { nodeCidr: 10.10.0.0/24 }\n  nodes:\n    - { name: cp, role: control-plane, address: 10.10.0.2 }\n`;
    writeFileSync(join(dir, 'a.yaml'), own('same'));
    writeFileSync(join(dir, 'b.yaml'), own('same'));
    const roster = `apiVersion: kubelab/v1\nkind: Classroom\nmetadata: { name: k }\nspec:\n  students:\n    - { name: a, inventory: a.yaml }\n    - { name: b, inventory: b.yaml }\n`;
    const r = await parseRoster(roster, join(dir, 'room.yaml')).then(
      () => 'accepted',
      (err: InventoryError) => err.format(),
    );
    assert.match(r, /room\.yaml:7:\d+ spec\.students\[1\]: student "b"'s cluster is named "same" like "a"'s/);
  });
});
