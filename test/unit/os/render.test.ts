import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HOSTS_BEGIN, HOSTS_END, renderHosts } from '../../../scripts/steps/etc-hosts.js';
import { commentSwapEntries, FSTAB_MARK } from '../../../scripts/steps/swap.js';

const nodes = [
  { name: 'master', address: '192.168.56.10' },
  { name: 'worker1', address: '192.168.56.11' },
];

describe('renderHosts', () => {
  it('appends one block, and rendering its own output again changes nothing', () => {
    const once = renderHosts('127.0.0.1 localhost\n', nodes);
    assert.equal(once, `127.0.0.1 localhost\n\n${HOSTS_BEGIN}\n192.168.56.10 master\n192.168.56.11 worker1\n${HOSTS_END}\n`);
    assert.equal(renderHosts(once, nodes), once);
  });

  it('rewrites the block in place when addresses change, keeping what follows it', () => {
    const before = `127.0.0.1 localhost\n${HOSTS_BEGIN}\n10.0.0.1 master\n${HOSTS_END}\n10.1.1.1 other\n`;
    const after = renderHosts(before, nodes);
    assert.equal(after, `127.0.0.1 localhost\n${HOSTS_BEGIN}\n192.168.56.10 master\n192.168.56.11 worker1\n${HOSTS_END}\n10.1.1.1 other\n`);
    assert.equal(after.split(HOSTS_BEGIN).length, 2);
  });

  it('removes node names mapped elsewhere (Vagrant 127.0.x.1 lines), keeping other aliases and comments', () => {
    const before = '127.0.0.1 localhost\n127.0.2.1 worker1 worker1\n127.0.1.1 box worker1 # vagrant\n';
    const after = renderHosts(before, nodes);
    assert.doesNotMatch(after, /127\.0\.2\.1/);
    assert.match(after, /^127\.0\.1\.1 box # vagrant$/m);
    assert.equal(after.match(/worker1/g)!.length, 1);
  });

  it('keeps two stray blocks from doubling: the first is rewritten, the second dropped', () => {
    const twice = `${HOSTS_BEGIN}\n1.1.1.1 a\n${HOSTS_END}\n${HOSTS_BEGIN}\n2.2.2.2 b\n${HOSTS_END}\n`;
    const after = renderHosts(twice, nodes);
    assert.equal(after.split(HOSTS_BEGIN).length, 2);
  });
});

describe('commentSwapEntries', () => {
  it('comments swap lines only, once', () => {
    const fstab = 'UUID=1 / ext4 defaults 0 1\n/swap.img\tnone\tswap\tsw\t0\t0\n# /old none swap sw 0 0\n';
    const out = commentSwapEntries(fstab);
    assert.equal(out, `UUID=1 / ext4 defaults 0 1\n${FSTAB_MARK}/swap.img\tnone\tswap\tsw\t0\t0\n# /old none swap sw 0 0\n`);
    assert.equal(commentSwapEntries(out), out);
  });
});

describe('hostEntries', () => {
  it('maps a controlPlaneEndpoint name that is not a node to the first control-plane node; IPs and node names add nothing', async () => {
    const { hostEntries } = await import('../../../scripts/steps/etc-hosts.js');
    const { testInventory } = await import('../../support/inventory.js');
    assert.deepEqual(hostEntries(testInventory({ kubernetes: { controlPlaneEndpoint: 'cp.lab:6443' } })).at(-1), { name: 'cp.lab', address: '192.168.56.10' });
    assert.equal(hostEntries(testInventory({ kubernetes: { controlPlaneEndpoint: '192.168.56.10:6443' } })).length, 2);
    assert.equal(hostEntries(testInventory({ kubernetes: { controlPlaneEndpoint: 'master' } })).length, 2);
    assert.equal(hostEntries(testInventory()).length, 2);
  });
});
