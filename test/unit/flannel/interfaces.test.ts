import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interfaceForAddress, ipv4Interfaces, parseIpv4Interfaces } from '../../../scripts/facts/interfaces.js';

// `ip -o -4 addr show` on a VirtualBox VM (NAT + host-only), plus a VLAN and a point-to-point link
const output = [
  '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
  '2: enp0s3    inet 10.0.2.15/24 metric 100 brd 10.0.2.255 scope global dynamic enp0s3\\       valid_lft 86245sec preferred_lft 86245sec',
  '3: enp0s8    inet 192.168.56.12/24 brd 192.168.56.255 scope global enp0s8\\       valid_lft forever preferred_lft forever',
  '3: enp0s8    inet 192.168.56.100/32 scope global enp0s8:vip\\       valid_lft forever preferred_lft forever',
  '5: eth0.100@eth0    inet 10.10.0.2/16 brd 10.10.255.255 scope global eth0.100\\       valid_lft forever preferred_lft forever',
  '6: tun0    inet 10.8.0.1 peer 10.8.0.2/32 scope global tun0\\       valid_lft forever preferred_lft forever',
  '',
].join('\n');

test('parses every IPv4 address with its interface and prefix', () => {
  assert.deepEqual(parseIpv4Interfaces(output), [
    { name: 'lo', address: '127.0.0.1', prefix: 8 },
    { name: 'enp0s3', address: '10.0.2.15', prefix: 24 },
    { name: 'enp0s8', address: '192.168.56.12', prefix: 24 },
    { name: 'enp0s8', address: '192.168.56.100', prefix: 32 },
    { name: 'eth0.100', address: '10.10.0.2', prefix: 16 },
    { name: 'tun0', address: '10.8.0.1', prefix: 32 },
  ]);
  assert.deepEqual(parseIpv4Interfaces(''), []);
});

test('the interface holding an address', () => {
  assert.equal(interfaceForAddress(output, '192.168.56.12'), 'enp0s8');
  assert.equal(interfaceForAddress(output, '192.168.56.100'), 'enp0s8');
  assert.equal(interfaceForAddress(output, '10.0.2.15'), 'enp0s3');
  assert.equal(interfaceForAddress(output, '192.168.56.1'), undefined, 'a prefix of 192.168.56.12 is no match');
});

test('the ipv4Interfaces fact', () => {
  assert.equal(ipv4Interfaces.key, 'ipv4-interfaces');
  assert.deepEqual(ipv4Interfaces.argv, ['ip', '-o', '-4', 'addr', 'show']);
  const parsed = ipv4Interfaces.parse({ stdout: output, stderr: '', code: 0, durationMs: 1 });
  assert.equal(parsed.length, 6);
});
