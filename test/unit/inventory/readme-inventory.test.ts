/** The README's "I have VMs" inventory is one the loader accepts, as printed. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { parseInventory } from '../../../scripts/inventory/load.js';

it('the README inventory for your own VMs loads as it is', () => {
  const readme = readFileSync('README.md', 'utf8');
  const from = readme.indexOf('**I have VMs**');
  assert.ok(from > 0, 'the README has the "I have VMs" path');
  const block = /```yaml\n([\s\S]*?)```/.exec(readme.slice(from));
  assert.ok(block, 'with an inventory');
  const inv = parseInventory(block[1]!, 'README.md');
  assert.deepEqual(inv.spec.nodes.map((n) => [n.name, n.role, n.address, n.ssh.user]), [
    ['master', 'control-plane', '192.168.56.10', 'vagrant'],
    ['worker1', 'worker', '192.168.56.11', 'vagrant'],
  ]);
  assert.equal(inv.spec.provider, undefined, 'no VMs made by kubelab');
});
