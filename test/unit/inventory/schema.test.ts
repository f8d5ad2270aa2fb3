/** One case per schema error type: each names the field path and the line/column of the offending YAML. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInventory } from '../../../scripts/inventory/load.js';
import { BASE, assertProblem, edit, onlyProblem, pos, problemsOf } from './helpers.js';

describe('inventory schema errors', () => {
  it('accepts the base inventory', () => {
    assert.equal(parseInventory(BASE, 'base.yaml').spec.nodes.length, 2);
  });

  it('missing required field points at the parent key', () => {
    const text = edit(BASE, '  network:\n    nodeCidr: 192.168.56.0/24\n', '  network: {}\n');
    assertProblem(onlyProblem(text), { path: 'spec.network.nodeCidr', at: pos(text, 'network: {}'), message: ['missing required field', 'nodeCidr'] });
  });

  it('missing field in a list item points at the item', () => {
    const text = edit(BASE, '      role: worker\n', '');
    const p = onlyProblem(text);
    assertProblem(p, { path: 'spec.nodes[1].role', at: pos(text, 'name: worker1'), message: ['missing required field "role"'] });
    assert.equal(p.value, undefined);
  });

  it('wrong type names expected and actual, and suggests removing quotes', () => {
    const text = edit(BASE, '    user: vagrant\n', '    user: vagrant\n    port: "22"\n');
    assertProblem(onlyProblem(text), {
      path: 'spec.ssh.port',
      at: pos(text, '"22"'),
      message: ['expected a port number', '"22"'],
    });
    const bool = edit(BASE, '    user: vagrant\n', '    user: vagrant\n    askPassword: "yes"\n');
    assertProblem(onlyProblem(bool), { path: 'spec.ssh.askPassword', at: pos(bool, '"yes"'), message: ['expected true or false', '"yes"'] });
  });

  it('unknown key is reported at the key with the closest valid key as hint', () => {
    const text = edit(BASE, '      address: 192.168.56.11', '      adress: 192.168.56.11');
    const problems = problemsOf(text);
    const unknown = problems.find((p) => p.path === 'spec.nodes[1].adress');
    assert.ok(unknown, 'unknown key reported');
    assertProblem(unknown, { path: 'spec.nodes[1].adress', at: pos(text, 'adress'), message: ['unknown key', 'adress'], hint: ['did you mean "address"?'] });
    const missing = problems.find((p) => p.path === 'spec.nodes[1].address');
    assert.ok(missing, 'the missing address is reported too');
    assert.match(missing.hint ?? '', /"adress" a typo of "address"/);
    assert.equal(problems.length, 2);
  });

  it('unknown key without a close match lists the valid keys', () => {
    const text = edit(BASE, 'kind: Cluster\n', 'kind: Cluster\nfrobnicate: true\n');
    assertProblem(onlyProblem(text), { path: 'frobnicate', at: pos(text, 'frobnicate'), message: ['unknown key "frobnicate"'], hint: ['apiVersion', 'spec'] });
  });

  it('unknown keys are refused in nested objects (runtime.containerd)', () => {
    const text = BASE + '  runtime:\n    containerd: { sorce: docker }\n';
    assertProblem(onlyProblem(text), { path: 'spec.runtime.containerd.sorce', at: pos(text, 'sorce'), hint: ['"source"'] });
  });

  it('a clear-text ssh password is refused, in spec.ssh and in a node', () => {
    const text = edit(BASE, '    user: vagrant\n', '    user: vagrant\n    password: hunter2\n');
    assertProblem(onlyProblem(text), { path: 'spec.ssh.password', at: pos(text, 'password:'), message: ['clear-text password'], hint: ['passwordEnv', 'askPassword'] });
    const node = edit(BASE, '      address: 192.168.56.11\n', '      address: 192.168.56.11\n      ssh: { password: x }\n');
    assertProblem(onlyProblem(node), { path: 'spec.nodes[1].ssh.password', at: pos(node, 'password'), hint: ['passwordEnv', 'askPassword'] });
  });

  it('invalid enum value lists the options and suggests the closest', () => {
    const text = edit(BASE, 'role: worker', 'role: workr');
    assertProblem(onlyProblem(text), { path: 'spec.nodes[1].role', at: pos(text, 'workr'), message: ['"workr"', '"control-plane"', '"worker"'], hint: ['"worker"'] });
  });

  it('wrong apiVersion and kind', () => {
    const text = edit(edit(BASE, 'apiVersion: kubelab/v1', 'apiVersion: kubelab/v2'), 'kind: Cluster', 'kind: Clstr');
    const [api, kind] = problemsOf(text);
    assertProblem(api!, { path: 'apiVersion', at: { line: 1, column: 13 }, message: ['"kubelab/v1"', '"kubelab/v2"'] });
    assertProblem(kind!, { path: 'kind', at: { line: 2, column: 7 }, message: ['"Cluster"'] });
  });

  it('DNS labels: cluster and node names', () => {
    const text = edit(edit(BASE, 'name: lab', 'name: My_Lab'), 'name: worker1', 'name: -worker');
    const [cluster, node] = problemsOf(text);
    assertProblem(cluster!, { path: 'metadata.name', at: pos(text, 'My_Lab'), message: ['"My_Lab"', 'DNS label'], hint: ['did you mean "my-lab"?'] });
    assertProblem(node!, { path: 'spec.nodes[1].name', at: pos(text, '-worker'), message: ['DNS label'] });
    const long = edit(BASE, 'name: lab', `name: ${'a'.repeat(64)}`);
    assertProblem(onlyProblem(long), { path: 'metadata.name', message: ['DNS label'] });
  });

  it('invalid IPv4 address', () => {
    const text = edit(BASE, 'address: 192.168.56.11', 'address: 192.168.56.311');
    assertProblem(onlyProblem(text), { path: 'spec.nodes[1].address', at: pos(text, '192.168.56.311'), message: ['not a valid IPv4 address'], value: '"192.168.56.311"' });
  });

  it('CIDR with host bits set suggests the network', () => {
    const text = edit(BASE, 'nodeCidr: 192.168.56.0/24', 'nodeCidr: 192.168.56.1/24');
    assertProblem(onlyProblem(text), { path: 'spec.network.nodeCidr', at: pos(text, '192.168.56.1/24'), message: ['host bits', 'did you mean 192.168.56.0/24'] });
    const sub = edit(BASE, '    version: "1.35"\n', '    version: "1.35"\n    podSubnet: 10.244.1.0/16\n');
    assertProblem(onlyProblem(sub), { path: 'spec.kubernetes.podSubnet', message: ['did you mean 10.244.0.0/16'] });
  });

  it('malformed CIDRs', () => {
    for (const [bad, word] of [
      ['192.168.56.0', 'not a CIDR'],
      ['192.168.56.0/33', 'prefix length'],
      ['192.168.256.0/24', 'invalid IPv4 address'],
    ] as const) {
      const text = edit(BASE, 'nodeCidr: 192.168.56.0/24', `nodeCidr: ${bad}`);
      assertProblem(onlyProblem(text), { path: 'spec.network.nodeCidr', at: pos(text, bad), message: [word] });
    }
  });

  it('ports must be 1-65535 (spec.ssh, node ssh, provider)', () => {
    const text = edit(
      edit(BASE, '    user: vagrant\n', '    user: vagrant\n    port: 70000\n'),
      '      address: 192.168.56.11\n',
      '      address: 192.168.56.11\n      ssh: { host: 127.0.0.1, port: 0 }\n',
    );
    const [a, b] = problemsOf(text);
    assertProblem(a!, { path: 'spec.ssh.port', at: pos(text, '70000'), message: ['1-65535'] });
    assertProblem(b!, { path: 'spec.nodes[1].ssh.port', at: pos(text, 'port: 0', 6), message: ['1-65535'] });
    const frac = edit(BASE, '    user: vagrant\n', '    user: vagrant\n    port: 22.5\n');
    assertProblem(onlyProblem(frac), { path: 'spec.ssh.port', message: ['port number'] });
    const prov = BASE + '  provider: { type: qemu, sshPortBase: 65536 }\n';
    assertProblem(onlyProblem(prov), { path: 'spec.provider.sshPortBase', message: ['1-65535'] });
  });

  it('ssh.connectTimeout: seconds from 1 to 600 (spec.ssh, node ssh)', () => {
    const text = edit(
      edit(BASE, '    user: vagrant\n', '    user: vagrant\n    connectTimeout: 0.5\n'),
      '      address: 192.168.56.11\n',
      '      address: 192.168.56.11\n      ssh: { connectTimeout: 3600 }\n',
    );
    const [a, b] = problemsOf(text);
    assertProblem(a!, { path: 'spec.ssh.connectTimeout', at: pos(text, '0.5'), message: ['at least 1 second'] });
    assertProblem(b!, { path: 'spec.nodes[1].ssh.connectTimeout', message: ['at most 600 seconds'] });
    const word = edit(BASE, '    user: vagrant\n', '    user: vagrant\n    connectTimeout: 10s\n');
    assertProblem(onlyProblem(word), { path: 'spec.ssh.connectTimeout', message: ['expected seconds'] });
  });

  it('version as the YAML number 1.30 asks to quote it', () => {
    const text = edit(BASE, 'version: "1.35"', 'version: 1.30');
    const p = onlyProblem(text);
    assertProblem(p, { path: 'spec.kubernetes.version', at: pos(text, '1.30'), message: ['quote'], hint: ['version: "1.30"'] });
    assert.equal(p.value, '1.3');
  });

  it('version as the YAML number 1.35 is accepted and becomes the string "1.35"', () => {
    const inv = parseInventory(edit(BASE, 'version: "1.35"', 'version: 1.35'), 'x.yaml');
    assert.equal(inv.spec.kubernetes.version, '1.35');
  });

  it('malformed version strings and types', () => {
    const v = edit(BASE, 'version: "1.35"', 'version: "v1.35"');
    assertProblem(onlyProblem(v), { path: 'spec.kubernetes.version', at: pos(v, '"v1.35"'), message: ['not a Kubernetes version'], hint: ['"1.35"'] });
    const b = edit(BASE, 'version: "1.35"', 'version: true');
    assertProblem(onlyProblem(b), { path: 'spec.kubernetes.version', message: ['expected a Kubernetes version string'] });
    assert.equal(parseInventory(edit(BASE, 'version: "1.35"', 'version: "1.34.2"'), 'x').spec.kubernetes.version, '1.34.2');
  });

  it('environment variable names (a secret pasted in passwordEnv is refused)', () => {
    const text = edit(BASE, '    user: vagrant\n', '    user: vagrant\n    passwordEnv: "s3cret pass!"\n');
    assertProblem(onlyProblem(text), { path: 'spec.ssh.passwordEnv', at: pos(text, '"s3cret pass!"'), message: ['not an environment variable name'], hint: ['NAME'] });
  });

  it('empty nodes list', () => {
    const text = edit(BASE, BASE.slice(BASE.indexOf('  nodes:')), '  nodes: []\n');
    assertProblem(onlyProblem(text), { path: 'spec.nodes', at: pos(text, '[]'), message: ['at least one node'] });
  });

  it('a mapping expected, a list given', () => {
    const text = edit(BASE, '  ssh:\n    user: vagrant\n', '  ssh: [vagrant]\n');
    assertProblem(onlyProblem(text), { path: 'spec.ssh', at: pos(text, '[vagrant]'), message: ['expected a mapping', 'a list'] });
  });

  it('nfs.path must be absolute; nfs.server required', () => {
    const text = BASE + '  nfs: { server: master, path: srv/nfs }\n';
    assertProblem(onlyProblem(text), { path: 'spec.nfs.path', at: pos(text, 'srv/nfs'), message: ['absolute'] });
    const noServer = BASE + '  nfs: { path: /srv/nfs }\n';
    assertProblem(onlyProblem(noServer), { path: 'spec.nfs.server', at: pos(noServer, 'nfs:'), message: ['missing required field "server"'] });
  });

  it('provider: type, image discriminator, sizes', () => {
    const t = BASE + '  provider: { type: vbox }\n';
    assertProblem(onlyProblem(t), { path: 'spec.provider.type', at: pos(t, 'vbox'), message: ['"qemu"'] });
    const img = BASE + '  provider:\n    type: qemu\n    image: { type: iso }\n';
    assertProblem(onlyProblem(img), { path: 'spec.provider.image.type', at: pos(img, 'iso'), message: ['"debootstrap"', '"cloud"'] });
    const cloud = BASE + '  provider:\n    type: qemu\n    image: { type: cloud, suite: bookworm }\n';
    const problems = problemsOf(cloud);
    assert.deepEqual(problems.map((p) => p.path).sort(), ['spec.provider.image.path', 'spec.provider.image.suite']);
    const mem = BASE + '  provider: { type: qemu, memory: 512, cpus: 1 }\n';
    const [m, c] = problemsOf(mem);
    assertProblem(m!, { path: 'spec.provider.memory', message: ['1700 MiB'] });
    assertProblem(c!, { path: 'spec.provider.cpus', message: ['2 CPUs'] });
    // workers may be smaller than kubeadm's control-plane minimum, down to 1 CPU and 1 GiB
    const small = BASE + '  provider: { type: qemu, workers: { memory: 512, cpus: 0 } }\n';
    const [wm, wc] = problemsOf(small);
    assertProblem(wm!, { path: 'spec.provider.workers.memory', message: ['1024 MiB'] });
    assertProblem(wc!, { path: 'spec.provider.workers.cpus', message: ['at least 1 CPU'] });
    assert.deepEqual(parseInventory(BASE + '  provider: { type: qemu, workers: { memory: 1024, cpus: 1 } }\n', 'x.yaml').spec.provider?.workers, { memory: 1024, cpus: 1 });
    assert.equal(problemsOf(BASE + '  provider: { type: qemu, workers: { disk: 10 } }\n')[0]?.path, 'spec.provider.workers.disk');
  });

  it('runtime: registry mirrors must be http(s) URLs keyed by registry host', () => {
    const text = BASE + '  runtime:\n    registryMirrors:\n      docker.io: [ftp://mirror.example]\n      "bad host!": [https://m.example]\n';
    const [url, key] = problemsOf(text);
    assertProblem(url!, { path: 'spec.runtime.registryMirrors["docker.io"][0]', at: pos(text, 'ftp://'), message: ['http(s)'] });
    assertProblem(key!, { path: 'spec.runtime.registryMirrors["bad host!"]', at: pos(text, '"bad host!"'), message: ['registry host'] });
  });

  it('kubernetes: controlPlaneEndpoint, imageRepository, packageRepository formats', () => {
    const text = edit(
      BASE,
      '    version: "1.35"\n',
      '    version: "1.35"\n    controlPlaneEndpoint: "api.lab:99999"\n    imageRepository: https://registry.k8s.io\n    packageRepository: pkgs.k8s.io\n',
    );
    const [ep, img, pkg] = problemsOf(text);
    assertProblem(ep!, { path: 'spec.kubernetes.controlPlaneEndpoint', message: ['out of range'] });
    assertProblem(img!, { path: 'spec.kubernetes.imageRepository', message: ['registry path'], hint: ['registry.k8s.io'] });
    assertProblem(pkg!, { path: 'spec.kubernetes.packageRepository', message: ['URL'] });
  });

  it('YAML syntax errors are reported with their position', () => {
    const text = 'apiVersion: kubelab/v1\nkind: [Cluster\nmetadata: {}\n';
    const problems = problemsOf(text);
    assert.ok(problems.length >= 1);
    assert.ok(problems.every((p) => p.message.startsWith('YAML syntax error')));
    assert.ok(problems.every((p) => p.line >= 2), 'syntax errors are placed after line 1');
    const dup = 'apiVersion: kubelab/v1\nkind: Cluster\nkind: Cluster\n';
    const d = onlyProblem(dup);
    assert.equal(d.line, 3);
    assert.match(d.message, /unique/i);
    const multi = onlyProblem(`${BASE}---\nfoo: 1\n`);
    assert.equal(multi.line, 19);
    assert.match(multi.message, /several YAML documents/);
  });

  it('an empty or non-mapping document', () => {
    assertProblem(onlyProblem(''), { path: '', at: { line: 1, column: 1 }, message: ['empty'] });
    assertProblem(onlyProblem('- a\n- b\n'), { path: '', message: ['a list', 'mapping'] });
  });
});
