/**
 * `vagrant ssh-config` output into an inventory. The fixture is Vagrant's own output format, rendered from its
 * template (templates/commands/ssh_config/config.erb: HostName, User, Port, UserKnownHostsFile, StrictHostKeyChecking,
 * PasswordAuthentication, IdentityFile quoted when the path has a space, IdentitiesOnly, LogLevel) for a two-machine
 * VirtualBox project; no Vagrant runs on this machine.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { inventoryFromSshConfig } from '../../../scripts/inventory/from-ssh-config.js';
import { parseInventory } from '../../../scripts/inventory/load.js';
import { parseSshConfig } from '../../../scripts/inventory/ssh-config.js';
import { UsageError } from '../../../scripts/util/errors.js';

const FIXTURE = readFileSync('test/fixtures/vagrant/ssh-config.txt', 'utf8');
const KEY = (m: string): string => `/home/student/k8s lab/.vagrant/machines/${m}/virtualbox/private_key`;

describe('inventory from vagrant ssh-config', () => {
  it('parses each Host block: host, port, user, the key (unquoted)', () => {
    assert.deepEqual(parseSshConfig(FIXTURE, 'f'), [
      { name: 'master', hostName: '127.0.0.1', user: 'vagrant', port: 2222, identityFiles: [KEY('master')] },
      { name: 'worker1', hostName: '127.0.0.1', user: 'vagrant', port: 2200, identityFiles: [KEY('worker1')] },
    ]);
    assert.deepEqual(parseSshConfig('Host a\nport=2201\n# c\nIDENTITYFILE k\n', 'f'), [{ name: 'a', port: 2201, identityFiles: ['k'] }]);
  });

  it('builds an inventory the loader accepts: first machine the control plane, the addresses in order, /24 network', () => {
    const doc = inventoryFromSshConfig(parseSshConfig(FIXTURE, 'f'), { cluster: 'lab', kubernetesVersion: '1.35', addresses: ['192.168.56.10', '192.168.56.11'] });
    const inv = parseInventory(stringify(doc), 'gen.yaml');
    assert.equal(inv.spec.network.nodeCidr, '192.168.56.0/24');
    assert.deepEqual(
      inv.spec.nodes.map((n) => [n.name, n.role, n.address, n.ssh.host, n.ssh.port, n.ssh.user, n.ssh.identityFile]),
      [
        ['master', 'control-plane', '192.168.56.10', '127.0.0.1', 2222, 'vagrant', KEY('master')],
        ['worker1', 'worker', '192.168.56.11', '127.0.0.1', 2200, 'vagrant', KEY('worker1')],
      ],
    );
    const other = inventoryFromSshConfig(parseSshConfig(FIXTURE, 'f'), { cluster: 'lab', kubernetesVersion: '1.35', addresses: ['10.1.2.10', '10.1.2.11'], controlPlane: 'worker1', nodeCidr: '10.1.0.0/16' });
    const inv2 = parseInventory(stringify(other), 'gen.yaml');
    assert.deepEqual(inv2.spec.nodes.map((n) => n.role), ['worker', 'control-plane']);
    assert.equal(inv2.spec.network.nodeCidr, '10.1.0.0/16');
  });

  it('refuses what it cannot map: address count, unknown control plane, no Host, patterns, bad ports', () => {
    const hosts = parseSshConfig(FIXTURE, 'f');
    assert.throws(() => inventoryFromSshConfig(hosts, { cluster: 'lab', kubernetesVersion: '1.35', addresses: ['192.168.56.10'] }), (e: Error) => e instanceof UsageError && /1 given for 2 machines \(master, worker1\)/.test(e.message));
    assert.throws(() => inventoryFromSshConfig(hosts, { cluster: 'lab', kubernetesVersion: '1.35', addresses: ['192.168.56.10', '192.168.56.11'], controlPlane: 'cp' }), /--control-plane cp: no such Host/);
    assert.throws(() => parseSshConfig('', 'stdin'), /stdin: no Host block/);
    assert.throws(() => parseSshConfig('HostName x\n', 'f'), /f:1: HostName before the first Host line/);
    assert.throws(() => parseSshConfig('Host *\n', 'f'), /f:1: Host \*: one machine name expected/);
    assert.throws(() => parseSshConfig('Host a\n  Port 99999\n', 'f'), /f:2: Port 99999: not a port number/);
  });
});
