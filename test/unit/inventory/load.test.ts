/** The loader: defaults, SSH resolution, paths, freezing, and all problems of a bad file at once. */
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { InventoryError } from '../../../scripts/inventory/errors.js';
import { DEFAULT_INVENTORY_FILE, inventoryFile, loadInventory, parseInventory, stateDir } from '../../../scripts/inventory/load.js';
import { BASE, fixture, repoFile } from './helpers.js';

async function loadError(file: string): Promise<InventoryError> {
  try {
    await loadInventory(file);
  } catch (err) {
    assert.ok(err instanceof InventoryError);
    return err;
  }
  assert.fail(`${file} loaded`);
}

describe('loadInventory', () => {
  it('loads inventory/example.yaml with defaults filled and SSH resolved per node', async () => {
    const inv = await loadInventory(repoFile('inventory', 'example.yaml'));
    assert.equal(inv.metadata.name, 'lab');
    assert.deepEqual(inv.spec.kubernetes, {
      version: '1.35',
      podSubnet: '10.244.0.0/16',
      serviceSubnet: '10.96.0.0/12',
      imageRepository: 'registry.k8s.io',
      packageRepository: 'https://pkgs.k8s.io/core:/stable:',
      install: 'binaries',
    });
    assert.deepEqual(inv.spec.runtime, { containerd: { source: 'distro' }, docker: false, registryMirrors: {} });
    assert.equal(inv.spec.nfs, undefined);
    assert.equal(inv.spec.provider, undefined);
    const key = path.join(os.homedir(), '.ssh', 'id_ed25519');
    assert.deepEqual(inv.spec.ssh, { user: 'vagrant', port: 22, identityFile: key, askPassword: false, connectTimeout: 10 });
    assert.deepEqual(
      inv.spec.nodes.map((n) => [n.name, n.role, n.address]),
      [
        ['master', 'control-plane', '192.168.56.10'],
        ['worker1', 'worker', '192.168.56.11'],
      ],
    );
    assert.deepEqual(inv.spec.nodes[0]!.ssh, { host: '192.168.56.10', port: 22, user: 'vagrant', identityFile: key, askPassword: false, connectTimeout: 10 });
    assert.deepEqual(inv.spec.nodes[1]!.ssh, { host: '127.0.0.1', port: 2222, user: 'vagrant', identityFile: key, askPassword: false, connectTimeout: 10 });
  });

  it('example.yaml starts with the yaml-language-server schema comment', async () => {
    const { readFile } = await import('node:fs/promises');
    const first = (await readFile(repoFile('inventory', 'example.yaml'), 'utf8')).split('\n')[0];
    assert.equal(first, '# yaml-language-server: $schema=./schema.json');
  });

  for (const name of ['lab', 'qemu-lab']) {
    it(`loads inventory/${name}.yaml: a qemu lab with provider defaults and a cwd-relative key`, async () => {
      const inv = await loadInventory(repoFile('inventory', `${name}.yaml`));
      assert.equal(inv.metadata.name, name);
      assert.deepEqual(inv.spec.provider, {
        type: 'qemu',
        memory: 2048,
        cpus: 2,
        image: { type: 'debootstrap', suite: 'bookworm', mirror: 'http://deb.debian.org/debian' },
        sshPortBase: 2220,
        accel: 'auto',
        isolated: false,
        hostPorts: [],
        diskCache: 'writeback',
      });
      assert.deepEqual(inv.spec.nfs, { server: 'master', path: '/srv/nfs/k8s' });
      assert.deepEqual(inv.spec.runtime, { containerd: { source: 'distro' }, docker: true, registryMirrors: {} });
      const key = path.resolve('.kubelab', name, 'id_ed25519');
      assert.equal(inv.spec.ssh.user, 'root');
      assert.equal(inv.spec.ssh.identityFile, key);
      assert.deepEqual(
        inv.spec.nodes.map((n) => [n.name, n.role, n.address, n.ssh.host, n.ssh.user, n.ssh.identityFile]),
        [
          ['master', 'control-plane', '192.168.56.10', '192.168.56.10', 'root', key],
          ['worker1', 'worker', '192.168.56.11', '192.168.56.11', 'root', key],
        ],
      );
      assert.equal(stateDir(inv), path.resolve('.kubelab', name));
    });
  }

  it('every optional field and per-node SSH overrides', async () => {
    const inv = await loadInventory(fixture('overrides.yaml'));
    assert.equal(inv.spec.kubernetes.version, '1.34');
    assert.equal(inv.spec.kubernetes.packageRepository, 'https://pkgs.example/core:/stable:', 'trailing slash dropped');
    assert.equal(inv.spec.kubernetes.controlPlaneEndpoint, '192.168.56.10:6443');
    const [cp1, w1] = inv.spec.nodes;
    assert.deepEqual(cp1!.ssh, {
      host: '192.168.56.10',
      port: 2200,
      user: 'vagrant',
      identityFile: path.join(os.homedir(), '.ssh', 'lab_key'),
      passphraseEnv: 'LAB_KEY_PASSPHRASE',
      askPassword: false,
      agent: false,
      sudoPasswordEnv: 'LAB_SUDO',
      connectTimeout: 30,
    });
    assert.deepEqual(w1!.ssh, {
      host: '127.0.0.1',
      port: 2222,
      user: 'admin',
      identityFile: path.resolve('keys/w1'),
      passphraseEnv: 'LAB_KEY_PASSPHRASE',
      passwordEnv: 'W1_PASSWORD',
      askPassword: true,
      agent: true,
      sudoPasswordEnv: 'LAB_SUDO',
      connectTimeout: 2.5,
    });
    assert.deepEqual(inv.spec.runtime, {
      containerd: { source: 'docker' },
      docker: false,
      registryMirrors: { 'docker.io': ['https://mirror.gcr.io', 'http://192.168.56.1:5000'] },
    });
    assert.deepEqual(inv.spec.nfs, { server: 'cp1', path: '/srv/nfs/lab' });
    assert.deepEqual(inv.spec.provider, {
      type: 'qemu',
      memory: 4096,
      cpus: 4,
      image: { type: 'cloud', path: path.resolve('images/debian-12.qcow2') },
      sshPortBase: 3000,
      accel: 'tcg',
        isolated: true,
        hostPorts: [5000],
        diskCache: 'unsafe',
    });
  });

  it('the inventory is deeply frozen', () => {
    const inv = parseInventory(BASE, 'x.yaml');
    assert.ok(Object.isFrozen(inv));
    assert.ok(Object.isFrozen(inv.spec.nodes));
    assert.ok(Object.isFrozen(inv.spec.nodes[0]!.ssh));
    assert.ok(Object.isFrozen(inv.spec.runtime.registryMirrors));
    assert.throws(() => {
      (inv.spec.nodes[0]!.ssh as { port: number }).port = 1;
    }, TypeError);
  });

  it('reports every problem of a bad inventory at once, in file order, with lines', async () => {
    const file = fixture('many-problems.yaml');
    const err = await loadError(file);
    const got = err.problems.map((p) => [p.line, p.path]);
    assert.deepEqual(got, [
      [4, 'metadata.name'],
      [7, 'spec.kubernetes.version'],
      [9, 'spec.kubernetes.serviceSubnet'],
      [11, 'spec.network.nodeCidr'],
      [14, 'spec.ssh.password'],
      [15, 'spec.ssh.port'],
      [20, 'spec.nodes[1].address'],
      [20, 'spec.nodes[1].name'],
      [22, 'spec.nodes[1].adress'],
      [25, 'spec.nodes[2].address'],
      [27, 'spec.nodes[3].role'],
      [28, 'spec.nodes[3].address'],
      [30, 'spec.nfs.server'],
      [31, 'spec.nfs.path'],
    ]);
    assert.ok(err.problems.every((p) => p.file === file));
    const byPath = new Map(err.problems.map((p) => [p.path, p]));
    assert.match(byPath.get('spec.kubernetes.version')!.message, /quote/);
    assert.match(byPath.get('spec.kubernetes.serviceSubnet')!.message, /did you mean 10\.96\.0\.0\/12/);
    assert.match(byPath.get('spec.network.nodeCidr')!.message, /overlaps podSubnet 192\.168\.0\.0\/16/);
    assert.match(byPath.get('spec.nodes[2].address')!.message, /VirtualBox NAT/);
    assert.equal(byPath.get('spec.nodes[2].address')!.column, 16);
    assert.match(byPath.get('spec.nodes[1].adress')!.hint ?? '', /"address"/);
  });

  it('format() prints one line per problem, file:line:column path: message, no stack', async () => {
    const err = await loadError(fixture('many-problems.yaml'));
    const lines = err.format().split('\n');
    assert.equal(lines.length, err.problems.length);
    assert.ok(!err.format().includes('    at '), 'no stack trace');
    const nat = lines.find((l) => l.includes('spec.nodes[2].address'));
    assert.equal(
      nat?.startsWith(`${fixture('many-problems.yaml')}:25:16 spec.nodes[2].address: "10.0.2.15" is the VirtualBox NAT address`),
      true,
      nat,
    );
    assert.match(nat!, /\(hint: .*host-only/);
  });

  it('keeps the file name as given in problems', () => {
    try {
      parseInventory(BASE.replace('name: lab', 'name: LAB'), 'inventory/lab.yaml');
      assert.fail('loaded');
    } catch (err) {
      assert.ok(err instanceof InventoryError);
      assert.match(err.format(), /^inventory\/lab\.yaml:4:9 metadata\.name: "LAB" is not a valid DNS label/);
    }
  });

  it('a missing file is an InventoryError, not a crash', async () => {
    const err = await loadError(fixture('does-not-exist.yaml'));
    assert.equal(err.problems.length, 1);
    assert.match(err.problems[0]!.message, /cannot read the inventory: no such file/);
    assert.equal(err.format(), `${fixture('does-not-exist.yaml')} cannot read the inventory: no such file`);
  });

  it('inventoryFile() defaults to inventory/lab.yaml; stateDir is .kubelab/<name> under the cwd', () => {
    assert.equal(DEFAULT_INVENTORY_FILE, 'inventory/lab.yaml');
    assert.equal(inventoryFile(), 'inventory/lab.yaml');
    assert.equal(inventoryFile('inventory/qemu-lab.yaml'), 'inventory/qemu-lab.yaml');
    assert.equal(stateDir(parseInventory(BASE, 'x.yaml')), path.join(process.cwd(), '.kubelab', 'lab'));
  });
});
