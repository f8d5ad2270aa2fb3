import { join } from 'node:path';
import { RunLogs, runId } from '../engine/host-log.js';
import type { TransportPool } from '../engine/types.js';
import { stateDir } from '../inventory/load.js';
import type { Inventory, InventoryNode } from '../inventory/types.js';
import { SshTransport } from '../transport/ssh.js';
import type { Transport } from '../transport/types.js';
import type { CliContext } from './cli-context.js';
import { resolveCredentials, secretValues } from './credentials.js';
import { UsageError } from './errors.js';

/** A loaded inventory with its connections and logs, for one command run. */
export interface Session {
  inv: Inventory;
  stateDir: string;
  logs: RunLogs;
  transports: TransportPool;
  /** The nodes this run works on (all, or those named by --nodes). */
  nodes: InventoryNode[];
  close(): Promise<void>;
}

/** Connections (opened lazily) and logs for the inventory's nodes; `inv` as reachable from here (see providers/lab). */
export async function openSession(inv: Inventory, ctx: CliContext, onlyNodes?: readonly string[]): Promise<Session> {
  const nodes = pickNodes(inv, onlyNodes);
  const dir = stateDir(inv);
  const creds = await resolveCredentials(nodes, ctx);
  const logs = new RunLogs(join(dir, 'logs', runId()), secretValues(creds));
  const knownHostsFile = join(dir, 'known_hosts');

  const open = new Map<string, Transport>();
  const transports: TransportPool = {
    get(node) {
      let t = open.get(node.name);
      if (!t) {
        const c = creds.get(node.name) ?? {};
        t = new SshTransport({
          name: node.name,
          host: node.ssh.host,
          port: node.ssh.port,
          user: node.ssh.user,
          identityFile: c.identityFile,
          passphrase: c.passphrase,
          password: c.password,
          agent: c.agent,
          sudoPassword: c.sudoPassword,
          knownHostsFile,
          logger: logs,
        });
        open.set(node.name, t);
      }
      return t;
    },
    async closeAll() {
      await Promise.allSettled([...open.values()].map((t) => t.close()));
      open.clear();
    },
  };

  return {
    inv,
    stateDir: dir,
    logs,
    transports,
    nodes,
    async close() {
      await transports.closeAll();
      await logs.close();
    },
  };
}

function pickNodes(inv: Inventory, names: readonly string[] | undefined): InventoryNode[] {
  if (!names?.length) return [...inv.spec.nodes];
  const known = new Map(inv.spec.nodes.map((n) => [n.name, n]));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) {
    throw new UsageError(`--nodes: no node named ${unknown.join(', ')} in the inventory (nodes: ${[...known.keys()].join(', ')})`);
  }
  return names.map((n) => known.get(n)!);
}

/**
 * Loads the inventory and makes its nodes reachable: with a provider, `up` brings the VMs up first (bringUp),
 * other commands only point SSH at the ports the provider forwards.
 */
export async function loadReachable(file: string, ctx: CliContext, bringUp: boolean): Promise<Inventory> {
  const { loadInventory } = await import('../inventory/load.js');
  const inv = await loadInventory(file);
  if (!inv.spec.provider) return inv;
  const { ensureVms, reachableInventory } = await import('../providers/lab.js');
  if (bringUp) await ensureVms(inv, stateDir(inv), ctx.env, (msg) => void ctx.stderr.write(`${msg}\n`));
  return reachableInventory(inv, stateDir(inv));
}
