import { resolve } from 'node:path';
import type { Inventory, InventoryNode } from '../inventory/types.js';
import { labKeyPath, providerEndpoints, vmUp, type VmUpResult } from './qemu/index.js';

/** Where base images are cached, shared by every cluster (KUBELAB_IMAGE_CACHE overrides .kubelab/images). */
export function imageCacheDir(env: NodeJS.ProcessEnv): string {
  return resolve(env.KUBELAB_IMAGE_CACHE ?? resolve('.kubelab', 'images'));
}

/**
 * The inventory as the workstation reaches it: with a provider, every node's SSH goes to the port the provider
 * forwards on 127.0.0.1, as root with the lab key unless the inventory names another key.
 */
export function reachableInventory(inv: Inventory, stateDir: string): Inventory {
  if (!inv.spec.provider) return inv;
  const endpoints = providerEndpoints(inv);
  const nodes: InventoryNode[] = inv.spec.nodes.map((n) => {
    const e = endpoints.get(n.name)!;
    return { ...n, ssh: { ...n.ssh, host: e.host, port: e.port, identityFile: n.ssh.identityFile ?? labKeyPath(stateDir) } };
  });
  return Object.freeze({ ...inv, spec: Object.freeze({ ...inv.spec, nodes: Object.freeze(nodes) }) }) as Inventory;
}

/** Brings the provider's VMs up (idempotent: running VMs are left alone). */
export async function ensureVms(
  inv: Inventory,
  stateDir: string,
  env: NodeJS.ProcessEnv,
  log: (msg: string) => void,
): Promise<VmUpResult[]> {
  return vmUp(inv, { stateDir, cacheDir: imageCacheDir(env), log });
}
