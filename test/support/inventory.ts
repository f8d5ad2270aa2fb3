import { stringify } from 'yaml';
import { parseInventory } from '../../scripts/inventory/load.js';
import type { Inventory } from '../../scripts/inventory/types.js';

type Obj = Record<string, unknown>;

function merge(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = b && v && typeof b === 'object' && typeof v === 'object' && !Array.isArray(v) ? merge(b as Obj, v as Obj) : v;
  }
  return out;
}

/**
 * A valid inventory for unit tests (master + worker1 on 192.168.56.0/24), with `spec` merged over the base
 * (objects merge, arrays and scalars replace). Goes through the real loader, so defaults are filled.
 */
export function testInventory(spec: Obj = {}): Inventory {
  const base: Obj = {
    kubernetes: { version: '1.35' },
    network: { nodeCidr: '192.168.56.0/24' },
    ssh: { user: 'root', port: 22 },
    nodes: [
      { name: 'master', role: 'control-plane', address: '192.168.56.10' },
      { name: 'worker1', role: 'worker', address: '192.168.56.11' },
    ],
  };
  const doc = { apiVersion: 'kubelab/v1', kind: 'Cluster', metadata: { name: 'test' }, spec: merge(base, spec) };
  return parseInventory(stringify(doc), 'test.yaml');
}

/** The text of an inventory file whose nodes are reached over SSH (CLI tests against a real sshd). */
export function sshInventoryYaml(cluster: string, ssh: Obj, nodes: Obj[]): string {
  return stringify({
    apiVersion: 'kubelab/v1',
    kind: 'Cluster',
    metadata: { name: cluster },
    spec: { kubernetes: { version: '1.35' }, network: { nodeCidr: '192.168.56.0/24' }, ssh: { agent: false, ...ssh }, nodes },
  });
}
