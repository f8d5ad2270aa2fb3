/** The identity-file check: the provider's lab key skipped while `up` is about to make it, placed at spec.provider otherwise. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkIdentityFiles } from '../../../scripts/inventory/identity-files.js';
import { InventoryError } from '../../../scripts/inventory/errors.js';
import { loadInventory } from '../../../scripts/inventory/load.js';
import type { Inventory } from '../../../scripts/inventory/types.js';

const withKey = (inv: Inventory, identityFile: string): Inventory =>
  ({ ...inv, spec: { ...inv.spec, nodes: inv.spec.nodes.map((n) => ({ ...n, ssh: { ...n.ssh, identityFile } })) } }) as Inventory;

describe('checkIdentityFiles', () => {
  it('the lab key: skipped when about to be made, else reported at spec.provider with the provider hint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubelab-idfile-'));
    try {
      const file = join(dir, 'lab.yaml');
      writeFileSync(
        file,
        'apiVersion: kubelab/v1\nkind: Cluster\nmetadata: { name: lab }\nspec:\n  kubernetes: { version: "1.35" }\n  network: { nodeCidr: 192.168.56.0/24 }\n' +
          '  provider: { type: qemu }\n  nodes:\n    - { name: master, role: control-plane, address: 192.168.56.10 }\n',
      );
      const key = join(dir, '.kubelab', 'lab', 'id_ed25519');
      const inv = withKey(await loadInventory(file), key);
      await checkIdentityFiles(inv, file, { providerKey: { path: key, hint: 'make the VMs', skip: true } });
      await assert.rejects(checkIdentityFiles(inv, file, { providerKey: { path: key, hint: 'make the VMs' } }), (e: unknown) => {
        assert.ok(e instanceof InventoryError);
        assert.equal(e.format(), `${file}:7:13 spec.provider: no lab key yet: ${key} does not exist (hint: make the VMs)`);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
