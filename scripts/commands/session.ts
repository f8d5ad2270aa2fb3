import { join, resolve } from 'node:path';
import { pruneRunLogs, RunLogs, runId } from '../engine/host-log.js';
import type { TransportPool } from '../engine/types.js';
import { stateDir } from '../inventory/load.js';
import { initNode } from '../inventory/topology.js';
import type { Inventory, InventoryNode } from '../inventory/types.js';
import { MuxClient, MuxTransport, type MuxNodeSettings } from '../transport/mux-client.js';
import type { Transport } from '../transport/types.js';
import { withSignal } from '../transport/with-signal.js';
import { abortReason } from '../util/abort.js';
import type { CliContext } from './cli-context.js';
import { resolveCredentials, secretValues } from './credentials.js';
import { UsageError } from '../util/errors.js';

/** A loaded inventory with its connections and logs, for one command run. */
export interface Session {
  inv: Inventory;
  stateDir: string;
  logs: RunLogs;
  transports: TransportPool;
  /** The nodes this run works on (all, or those named by --nodes). */
  nodes: InventoryNode[];
  /** The credentials' secret values (redacted from the logs and from a recording). */
  secrets: readonly string[];
  close(): Promise<void>;
}

/**
 * Connections (opened lazily) and logs for the inventory's nodes; `inv` as reachable from here (see providers/lab).
 *
 * Unless KUBELAB_PERSIST=0, the connections go through the cluster's connection keeper (transport/mux-*.ts):
 * a daemon that keeps them open for KUBELAB_PERSIST seconds (default 60) after the run, like ssh's
 * ControlPersist, so the next run skips the SSH handshakes. When the daemon cannot be used, each transport
 * falls back to a direct SshTransport (noted in the host log). ssh2 itself is loaded only when needed.
 */
export async function openSession(
  inv: Inventory,
  ctx: CliContext,
  opts: { nodes?: readonly string[]; connectTimeoutMs?: number; apiThroughControlPlane?: boolean } = {},
): Promise<Session> {
  const nodes = pickNodes(inv, opts.nodes);
  const dir = stateDir(inv);
  const persist = ctx.settings.persistSeconds;
  // the API is reached through the control-plane node (its admin.conf, the SSH forward): its credentials are
  // needed also when --nodes leaves it out (doctor --nodes worker1)
  const cp = initNode(inv);
  const credNodes = opts.apiThroughControlPlane && !nodes.some((n) => n.name === cp.name) ? [...nodes, cp] : nodes;
  const creds = await resolveCredentials(credNodes, ctx);
  const secrets = secretValues(creds);
  const logs = new RunLogs(join(dir, 'logs', runId()), secrets);
  pruneRunLogs(join(dir, 'logs'), ctx.settings.keepLogs, logs.dir);
  const knownHostsFile = join(dir, 'known_hosts');

  const settingsOf = (node: InventoryNode): MuxNodeSettings => {
    const c = creds.get(node.name) ?? {};
    return {
      name: node.name,
      host: node.ssh.host,
      port: node.ssh.port,
      user: node.ssh.user,
      // --connect-timeout over spec.ssh.connectTimeout (seconds)
      connectTimeoutMs: opts.connectTimeoutMs ?? Math.round(node.ssh.connectTimeout * 1000),
      ...(c.identityFile !== undefined ? { identityFile: resolve(c.identityFile) } : {}),
      ...(c.passphrase !== undefined ? { passphrase: c.passphrase } : {}),
      ...(c.password !== undefined ? { password: c.password } : {}),
      ...(c.agent !== undefined ? { agent: c.agent } : {}),
      ...(c.sudoPassword !== undefined ? { sudoPassword: c.sudoPassword } : {}),
    };
  };
  let make: (node: InventoryNode) => Transport;
  let mux: MuxClient | undefined;
  if (persist === 0) {
    const [{ SshTransport }, { KnownHosts }] = await Promise.all([import('../transport/ssh.js'), import('../transport/known-hosts.js')]);
    const knownHosts = new KnownHosts(knownHostsFile);
    make = (node) => new SshTransport({ ...settingsOf(node), knownHostsFile, knownHosts, logger: logs });
  } else {
    const client = new MuxClient({ stateDir: dir, knownHostsFile, idleSeconds: persist, nodes: nodes.map(settingsOf), daemonEnv: ctx.settings.daemonEnv }, logs);
    const inRun = new Set(nodes.map((n) => n.name));
    // A node outside this run's nodes (no settings in the daemon) is reached directly.
    make = (node) => new MuxTransport(settingsOf(node), knownHostsFile, inRun.has(node.name) ? client : undefined, logs);
    mux = client;
  }

  const open = new Map<string, Transport>();
  const transports: TransportPool = {
    get(node) {
      let t = open.get(node.name);
      if (!t) {
        t = withSignal(make(node), ctx.signal);
        open.set(node.name, t);
      }
      return t;
    },
    async closeAll() {
      await Promise.allSettled([...open.values()].map((t) => t.close()));
      open.clear();
      await mux?.close();
    },
  };

  return {
    inv,
    stateDir: dir,
    logs,
    transports,
    nodes,
    secrets,
    async close() {
      await transports.closeAll();
      if (ctx.signal?.aborted) {
        for (const n of nodes) logs.note(n.name, `${new Date().toISOString()} interrupted (${abortReason(ctx.signal)}): the run stopped here`);
      }
      await logs.close();
    },
  };
}

/** The nodes named (each once, in the order given), or all when no list was given. */
function pickNodes(inv: Inventory, names: readonly string[] | undefined): InventoryNode[] {
  if (names === undefined) return [...inv.spec.nodes];
  if (names.length === 0) throw new UsageError('--nodes: no node named');
  if (new Set(names).size !== names.length) throw new UsageError(`--nodes ${names.join(',')}: a node named more than once`);
  const known = new Map(inv.spec.nodes.map((n) => [n.name, n]));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) {
    throw new UsageError(`--nodes: no node named ${unknown.join(', ')} in the inventory (nodes: ${[...known.keys()].join(', ')})`);
  }
  return names.map((n) => known.get(n)!);
}

/**
 * Loads the inventory and makes its nodes reachable: with a provider, `up` brings the VMs up first (bringUp),
 * other commands only point SSH at the ports the provider forwards. The SSH identity files are checked before
 * anything else happens (the provider's lab key, made with the VMs, after `up` made them).
 */
export async function loadReachable(file: string, ctx: CliContext, bringUp: boolean): Promise<Inventory> {
  const [{ loadInventory }, { checkIdentityFiles }] = await Promise.all([import('../inventory/load.js'), import('../inventory/identity-files.js')]);
  const inv = await loadInventory(file);
  if (!inv.spec.provider) {
    await checkIdentityFiles(inv, file);
    return inv;
  }
  const [{ ensureVms, reachableInventory }, { labKeyPath }] = await Promise.all([import('../providers/lab.js'), import('../providers/qemu/index.js')]);
  const dir = stateDir(inv);
  const providerKey = {
    path: labKeyPath(dir),
    hint: 'the lab key is made with the VMs: `kubelab up` creates the VMs and installs the cluster (`kubelab vm up` only creates the VMs)',
  };
  await checkIdentityFiles(reachableInventory(inv, dir), file, { providerKey: { ...providerKey, skip: bringUp } });
  if (bringUp) {
    await ensureVms(inv, dir, ctx.settings.imageCacheDir, (msg) => void ctx.stderr.write(`${msg}\n`));
    await checkIdentityFiles(reachableInventory(inv, dir), file, { providerKey });
  }
  return reachableInventory(inv, dir);
}
