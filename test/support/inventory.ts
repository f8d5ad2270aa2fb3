import { parseInventory } from '../../scripts/inventory/load.js';
import type { Inventory } from '../../scripts/inventory/types.js';

/** A valid two-node inventory for unit tests, with optional YAML lines appended under spec. */
export function testInventory(extraSpec = '', nodes?: string): Inventory {
  const text = `apiVersion: kubelab/v1
kind: Cluster
metadata: { name: test }
spec:
  kubernetes: { version: "1.35" }
  network: { nodeCidr: 192.168.56.0/24 }
  ssh: { user: root, port: 22 }
  nodes:
${nodes ?? `    - { name: master, role: control-plane, address: 192.168.56.10 }
    - { name: worker1, role: worker, address: 192.168.56.11 }`}
${extraSpec}`;
  return parseInventory(text, 'test.yaml');
}
