import { join } from 'node:path';
import { StepError } from '../engine/errors.js';
import { KubelabError } from '../util/errors.js';
import type { Inventory, InventoryNode } from '../inventory/types.js';
import { KnownHosts } from '../transport/known-hosts.js';
import { labKeyPath, providerEndpoints, vmUp, type VmUpResult } from './qemu/index.js';

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

/**
 * A provider failure as a user-facing error: the provider's own errors (qemu missing, a port taken, debootstrap
 * failing) carry their hint; anything else is reported with where the VMs' consoles are logged.
 */
export async function providerStep<T>(stateDir: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof KubelabError) throw err;
    throw new StepError(`${what}: ${err instanceof Error ? err.message : String(err)}`, `the VMs' consoles are logged in ${join(stateDir, 'vms', '<node>', 'console.log')}`);
  }
}

/**
 * Brings the provider's VMs up (idempotent: running VMs are left alone). A VM whose disk was just created has
 * new SSH host keys: the keys pinned for its port are dropped, so trust on first use applies again.
 */
export async function ensureVms(
  inv: Inventory,
  stateDir: string,
  imageCacheDir: string,
  log: (msg: string) => void,
): Promise<VmUpResult[]> {
  const up = await providerStep(stateDir, 'starting the lab VMs', () => vmUp(inv, { stateDir, cacheDir: imageCacheDir, log }));
  const knownHosts = new KnownHosts(join(stateDir, 'known_hosts'));
  for (const vm of up.filter((v) => v.state === 'created')) await knownHosts.forget(vm.sshHost, vm.sshPort);
  return up;
}
