import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cidrContains, cidrsOverlap, formatIPv4, parseCidr, parseIPv4, type Cidr } from '../../../scripts/inventory/net.js';

function cidr(text: string): Cidr {
  const r = parseCidr(text);
  assert.ok(r.ok, `${text} should parse`);
  return r.cidr;
}

describe('net: IPv4 and CIDR helpers', () => {
  it('parses and formats IPv4', () => {
    assert.equal(parseIPv4('192.168.56.10'), 0xc0a8380a);
    assert.equal(formatIPv4(0xc0a8380a), '192.168.56.10');
    assert.equal(formatIPv4(parseIPv4('255.255.255.255')!), '255.255.255.255');
    for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', 'a.b.c.d', '', '1.2.3.-4']) assert.equal(parseIPv4(bad), null, bad);
  });

  it('parses CIDRs and refuses host bits with the corrected form', () => {
    assert.deepEqual(cidr('192.168.56.0/24'), { network: 0xc0a83800, prefix: 24, text: '192.168.56.0/24' });
    assert.equal(cidr('0.0.0.0/0').prefix, 0);
    assert.equal(cidr('10.0.0.1/32').text, '10.0.0.1/32');
    assert.deepEqual(parseCidr('192.168.56.1/24'), { ok: false, reason: 'has host bits set', suggestion: '192.168.56.0/24' });
    assert.deepEqual(parseCidr('10.96.0.1/12'), { ok: false, reason: 'has host bits set', suggestion: '10.96.0.0/12' });
    for (const bad of ['192.168.56.0', '192.168.56.0/33', '192.168.56.0/', '192.168.56.0/024', '1.2.3/8']) assert.equal(parseCidr(bad).ok, false, bad);
  });

  it('contains and overlap', () => {
    const net = cidr('192.168.56.0/24');
    assert.ok(cidrContains(net, parseIPv4('192.168.56.0')!));
    assert.ok(cidrContains(net, parseIPv4('192.168.56.255')!));
    assert.ok(!cidrContains(net, parseIPv4('192.168.57.0')!));
    assert.ok(cidrsOverlap(cidr('10.0.0.0/8'), cidr('10.96.0.0/12')));
    assert.ok(cidrsOverlap(cidr('10.96.0.0/12'), cidr('10.0.0.0/8')));
    assert.ok(!cidrsOverlap(cidr('10.244.0.0/16'), cidr('10.96.0.0/12')));
    assert.ok(!cidrsOverlap(cidr('192.168.56.0/24'), cidr('192.168.57.0/24')));
    assert.ok(cidrsOverlap(cidr('0.0.0.0/0'), cidr('192.168.56.0/24')));
  });
});
