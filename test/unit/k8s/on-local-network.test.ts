/** connectApi tries the API server directly only on a network the workstation has an interface on. */
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, it } from 'node:test';
import { onLocalNetwork } from '../../../scripts/k8s/connect.js';

const v4 = (address: string, cidr: string): NetworkInterfaceInfo =>
  ({ address, cidr, family: 'IPv4', netmask: '', mac: '00:00:00:00:00:00', internal: address.startsWith('127.') }) as NetworkInterfaceInfo;

describe('onLocalNetwork', () => {
  const virtualbox = { lo: [v4('127.0.0.1', '127.0.0.1/8')], eth0: [v4('10.1.2.3', '10.1.2.3/24')], vboxnet0: [v4('192.168.56.1', '192.168.56.1/24')] };
  const qemuHost = { lo: [v4('127.0.0.1', '127.0.0.1/8')], eth0: [v4('10.1.2.3', '10.1.2.3/24')] };

  it('a host-only adapter on the workstation (VirtualBox): the node address is local', () => {
    assert.equal(onLocalNetwork('192.168.56.10', virtualbox), true);
  });

  it('no interface on the host-only network (qemu provider): not local, so no direct attempt leaves the machine', () => {
    assert.equal(onLocalNetwork('192.168.56.10', qemuHost), false);
    assert.equal(onLocalNetwork('10.1.3.3', qemuHost), false);
  });

  it('loopback is local; a name is assumed reachable', () => {
    assert.equal(onLocalNetwork('127.0.0.1', qemuHost), true);
    assert.equal(onLocalNetwork('master.lab', qemuHost), true);
  });

  it('the real interfaces of this machine: loopback is local', () => {
    assert.equal(onLocalNetwork('127.0.0.1'), true);
  });
});
