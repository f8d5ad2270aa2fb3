/** One case per cross-field rule: each is its own problem, at the right field and line. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInventory } from '../../../scripts/inventory/load.js';
import { BASE, assertProblem, edit, onlyProblem, pos, problemsOf } from './helpers.js';

const withThirdNode = (fields: string): string => `${BASE}    - ${fields}\n`;

describe('inventory cross-field rules', () => {
  it('node names are unique', () => {
    const text = edit(BASE, 'name: worker1', 'name: master');
    assertProblem(onlyProblem(text), {
      path: 'spec.nodes[1].name',
      at: { line: 16, column: 13 },
      message: ['duplicate node name "master"', 'spec.nodes[0]'],
    });
  });

  it('addresses are unique', () => {
    const text = edit(BASE, 'address: 192.168.56.11', 'address: 192.168.56.10');
    assertProblem(onlyProblem(text), { path: 'spec.nodes[1].address', at: { line: 18, column: 16 }, message: ['duplicate address "192.168.56.10"'] });
  });

  it('every address lies inside nodeCidr', () => {
    const text = edit(BASE, 'address: 192.168.56.11', 'address: 192.168.57.11');
    assertProblem(onlyProblem(text), {
      path: 'spec.nodes[1].address',
      at: pos(text, '192.168.57.11'),
      message: ['"192.168.57.11"', 'outside', '192.168.56.0/24'],
    });
  });

  it('the network and broadcast addresses are not node addresses', () => {
    const net = edit(BASE, 'address: 192.168.56.11', 'address: 192.168.56.0');
    assertProblem(onlyProblem(net), { path: 'spec.nodes[1].address', message: ['network address'] });
    const bcast = edit(BASE, 'address: 192.168.56.11', 'address: 192.168.56.255');
    assertProblem(onlyProblem(bcast), { path: 'spec.nodes[1].address', message: ['broadcast address'] });
  });

  it('10.0.2.15 is refused as the VirtualBox NAT address (once, not also as outside nodeCidr)', () => {
    const text = edit(BASE, 'address: 192.168.56.11', 'address: 10.0.2.15');
    const p = onlyProblem(text);
    assertProblem(p, { path: 'spec.nodes[1].address', at: { line: 18, column: 16 }, message: ['VirtualBox NAT address', 'every VM'], hint: ['host-only', '192.168.56.'] });
    assert.equal(p.value, '"10.0.2.15"');
    const both = edit(edit(BASE, 'address: 192.168.56.11', 'address: 10.0.2.15'), 'address: 192.168.56.10', 'address: 10.0.2.15');
    const problems = problemsOf(both);
    assert.deepEqual(problems.map((x) => x.path), ['spec.nodes[0].address', 'spec.nodes[1].address']);
    assert.ok(problems.every((x) => x.message.includes('VirtualBox NAT')));
  });

  it('10.0.2.15 as ssh.host is refused too', () => {
    const text = edit(BASE, '      address: 192.168.56.11\n', '      address: 192.168.56.11\n      ssh: { host: 10.0.2.15 }\n');
    assertProblem(onlyProblem(text), { path: 'spec.nodes[1].ssh.host', message: ['VirtualBox NAT address'], hint: ['127.0.0.1'] });
  });

  it('exactly one control-plane node: none', () => {
    const text = edit(BASE, 'role: control-plane', 'role: worker');
    assertProblem(onlyProblem(text), { path: 'spec.nodes', at: pos(text, '- name: master'), message: ['no control-plane node'] });
  });

  it('exactly one control-plane node: two without controlPlaneEndpoint', () => {
    const text = edit(BASE, 'role: worker', 'role: control-plane');
    assertProblem(onlyProblem(text), {
      path: 'spec.nodes[1].role',
      at: { line: 17, column: 13 },
      message: ['2 control-plane nodes', 'master, worker1', 'controlPlaneEndpoint'],
    });
  });

  it('several control-plane nodes are fine with controlPlaneEndpoint', () => {
    const text = edit(edit(BASE, 'role: worker', 'role: control-plane'), '    version: "1.35"\n', '    version: "1.35"\n    controlPlaneEndpoint: api.lab:6443\n');
    const inv = parseInventory(text, 'x.yaml');
    assert.equal(inv.spec.kubernetes.controlPlaneEndpoint, 'api.lab:6443');
    assert.equal(inv.spec.nodes.filter((n) => n.role === 'control-plane').length, 2);
  });

  it('profile emulated (leader election off) is refused with several control-plane nodes, fine with one', () => {
    const twoPlanes = edit(edit(BASE, 'role: worker', 'role: control-plane'), '    version: "1.35"\n', '    version: "1.35"\n    controlPlaneEndpoint: api.lab:6443\n');
    const emulated = (text: string): string => `${text}  timing:\n    profile: emulated\n`;
    assertProblem(onlyProblem(emulated(twoPlanes)), {
      path: 'spec.timing.profile',
      message: ['profile "emulated" turns leader election off', 'one control-plane node only', 'has 2'],
    });
    assert.equal(parseInventory(emulated(BASE), 'x.yaml').spec.timing.profile, 'emulated');
    assert.equal(parseInventory(`${twoPlanes}  timing:\n    waitFactor: 4\n`, 'x.yaml').spec.timing.waitFactor, 4);
  });

  it('podSubnet and serviceSubnet must not overlap', () => {
    const text = edit(BASE, '    version: "1.35"\n', '    version: "1.35"\n    podSubnet: 10.0.0.0/8\n');
    assertProblem(onlyProblem(text), {
      path: 'spec.kubernetes.podSubnet',
      at: pos(text, '10.0.0.0/8'),
      message: ['podSubnet 10.0.0.0/8', 'overlaps serviceSubnet 10.96.0.0/12 (default)'],
    });
  });

  it('nodeCidr must not overlap the pod or service subnets', () => {
    const text = BASE.replaceAll('192.168.56.', '10.244.56.');
    assertProblem(onlyProblem(text), { path: 'spec.network.nodeCidr', at: pos(text, '10.244.56.0/24'), message: ['nodeCidr 10.244.56.0/24', 'podSubnet 10.244.0.0/16'] });
    const svc = edit(BASE, '    version: "1.35"\n', '    version: "1.35"\n    serviceSubnet: 192.168.0.0/16\n');
    assertProblem(onlyProblem(svc), { path: 'spec.network.nodeCidr', message: ['overlaps serviceSubnet 192.168.0.0/16'] });
  });

  it('unsupported Kubernetes version lists the supported ones', () => {
    const text = edit(BASE, 'version: "1.35"', 'version: "1.29"');
    assertProblem(onlyProblem(text), {
      path: 'spec.kubernetes.version',
      at: pos(text, '"1.29"'),
      message: ['1.29 is not supported', '1.30', '1.36'],
    });
    assertProblem(onlyProblem(edit(BASE, 'version: "1.35"', 'version: "1.37.1"')), { path: 'spec.kubernetes.version', message: ['1.37.1 is not supported'] });
    for (const ok of ['"1.30"', '"1.36"', '"1.31.4"']) {
      assert.doesNotThrow(() => parseInventory(edit(BASE, 'version: "1.35"', `version: ${ok}`), 'x.yaml'));
    }
  });

  it('nfs.server must name a node', () => {
    const text = BASE + '  nfs:\n    server: storage\n';
    assertProblem(onlyProblem(text), { path: 'spec.nfs.server', at: pos(text, 'storage'), message: ['"storage"', 'not a node'], hint: ['master', 'worker1'] });
  });

  it('nfs.path must not be under /tmp', () => {
    for (const bad of ['/tmp', '/tmp/nfs', '/srv/../tmp/x']) {
      const text = `${BASE}  nfs: { server: master, path: ${bad} }\n`;
      assertProblem(onlyProblem(text), { path: 'spec.nfs.path', at: pos(text, bad), message: ['/tmp', 'reboot'] });
    }
    assert.doesNotThrow(() => parseInventory(`${BASE}  nfs: { server: master, path: /tmpfs/ok }\n`, 'x.yaml'));
  });

  it('provider hostPorts only with isolated', () => {
    const text = `${BASE}  provider: { type: qemu, hostPorts: [5000] }\n`;
    assertProblem(onlyProblem(text), { path: 'spec.provider.hostPorts', message: ['hostPorts is set but isolated is not'] });
    const ok = parseInventory(`${BASE}  provider: { type: qemu, isolated: true, hostPorts: [5000] }\n`, 'x.yaml');
    assert.deepEqual([ok.spec.provider?.isolated, ok.spec.provider?.hostPorts], [true, [5000]]);
    assert.deepEqual([parseInventory(`${BASE}  provider: { type: qemu }\n`, 'x.yaml').spec.provider?.isolated], [false]);
  });

  it('provider ports: sshPortBase + node index stays within 65535', () => {
    const text = withThirdNode('{ name: worker2, role: worker, address: 192.168.56.12 }') + '  provider: { type: qemu, sshPortBase: 65534 }\n';
    assertProblem(onlyProblem(text), { path: 'spec.provider.sshPortBase', at: pos(text, '65534'), message: ['65536', '65535'] });
    const ok = withThirdNode('{ name: worker2, role: worker, address: 192.168.56.12 }') + '  provider: { type: qemu, sshPortBase: 65533 }\n';
    assert.equal(parseInventory(ok, 'x.yaml').spec.provider?.sshPortBase, 65533);
  });

  it('rules still run when the schema found problems elsewhere', () => {
    const text = edit(edit(BASE, 'name: worker1', 'name: master'), '    user: vagrant\n', '    user: vagrant\n    bogus: 1\n');
    const problems = problemsOf(text);
    assert.deepEqual(problems.map((p) => p.path), ['spec.ssh.bogus', 'spec.nodes[1].name']);
  });
});
