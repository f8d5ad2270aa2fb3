/**
 * Reaching the cluster's API server from the workstation with @kubernetes/client-node.
 *
 * First a direct TLS handshake with the control-plane node's inventory address (the server in admin.conf may
 * be a name the workstation cannot resolve, so its host is replaced by that address), tried only when the
 * workstation has an interface on that address's network (VirtualBox's host-only adapter; not the qemu
 * provider's private network, where a direct attempt would go to the default route instead); when that fails
 * (host-only network not routed here, provider VMs behind NAT) the API server is reached through an SSH
 * port-forward to 127.0.0.1:6443 as seen from the control-plane node.
 *
 * TLS verification stays on in both cases. kubeadm's apiserver certificate has SANs for the node name, the
 * advertise address, the controlPlaneEndpoint host, the first service IP and kubernetes, kubernetes.default,
 * kubernetes.default.svc[.<domain>], but not 127.0.0.1: whenever the address connected to is not the host the
 * certificate was issued for, the cluster gets tls-server-name = the server's host name when it is a name
 * (controlPlaneEndpoint), or "kubernetes" when it is an IP (a name must be used: an IP is not valid SNI).
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import tls from 'node:tls';

import { KubeConfig, type Cluster } from '@kubernetes/client-node';

import { StepError } from '../engine/errors.js';
import type { TransportPool } from '../engine/types.js';
import type { Inventory, InventoryNode } from '../inventory/types.js';
import { TransportError, type Forward, type Transport } from '../transport/types.js';
import { readAdminKubeconfig } from './admin-kubeconfig.js';
import { API_SERVER_PORT, initNode } from '../inventory/topology.js';
import { parseIPv4, prefixMask } from '../inventory/net.js';
import { waitMs } from '../inventory/timing.js';

export type ApiVia = 'direct' | 'ssh-forward';

/** A DNS SAN kubeadm always puts in the apiserver certificate. */
export const KUBEADM_CERT_NAME = 'kubernetes';
/** kubeadm's default localAPIEndpoint.bindPort (kubelab does not change it). */
export { API_SERVER_PORT };

export interface ConnectApiOptions {
  /** A kubeconfig (admin.conf); its current context is used. */
  kubeconfigYaml: string;
  /** The control-plane node: its inventory address for the direct attempt, its transport for the forward. */
  controlPlane: { name?: string; address: string; transport: Transport };
  /** Time allowed for the direct TCP + TLS handshake. Default 2000. */
  directTimeoutMs?: number;
  /** Whether to try the direct connection. Default: onLocalNetwork(address). */
  direct?: boolean;
  /** Port of the API server on the control-plane node's loopback, the forward's target. Default 6443. */
  forwardPort?: number;
  /** Time allowed for the TLS handshake through the forward. Default 10000. */
  forwardTimeoutMs?: number;
}

export interface ApiConnection {
  /** A KubeConfig whose current cluster points at the reachable address. */
  kc: KubeConfig;
  via: ApiVia;
  /** The server URL kc now uses. */
  server: string;
  /** The name the certificate is verified against (tls-server-name), when it is not the server URL's host. */
  tlsServerName?: string;
  /** Why the direct connection failed (set when via is 'ssh-forward'). */
  directError?: string;
  /** Closes the SSH forward, if any. kc is unusable afterwards in that case. */
  close(): Promise<void>;
}

/** The API server as named by a kubeconfig's current cluster. */
export interface ApiServerIdentity {
  cluster: Cluster;
  /** Host of the server URL, without IPv6 brackets. */
  host: string;
  port: number;
}

/** Host and port of the current context's server in `kc`. */
export function apiServerIdentity(kc: KubeConfig): ApiServerIdentity {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new StepError('the kubeconfig has no current context with a cluster');
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch {
    throw new StepError(`the kubeconfig's server is not a URL: ${cluster.server}`);
  }
  if (url.protocol !== 'https:') throw new StepError(`the kubeconfig's server is not https: ${cluster.server}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { cluster, host, port: url.port ? Number(url.port) : 443 };
}

/**
 * The name to verify the certificate against when the API server is reached at `target` instead of the
 * kubeconfig's host; undefined when the host itself (an IP equal to target) can be checked.
 */
export function certNameFor(id: ApiServerIdentity, target: string): string | undefined {
  if (id.cluster.tlsServerName) return id.cluster.tlsServerName;
  if (net.isIP(id.host) === 0) return id.host;
  return id.host === target ? undefined : KUBEADM_CERT_NAME;
}

/** https URL for host:port (IPv6 in brackets). */
export function httpsUrl(host: string, port: number): string {
  return `https://${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
}

async function caOf(cluster: Cluster): Promise<Buffer | undefined> {
  if (cluster.caData) return Buffer.from(cluster.caData, 'base64');
  if (cluster.caFile) return readFile(cluster.caFile);
  return undefined;
}

/** A TLS handshake with verification on (CA from the kubeconfig, name = servername or host). */
export function probeTls(
  host: string,
  port: number,
  opts: { servername?: string; ca?: Buffer; timeoutMs: number },
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const sock = tls.connect({
      host,
      port,
      ...(opts.servername ? { servername: opts.servername } : {}),
      ...(opts.ca ? { ca: opts.ca } : {}),
      rejectUnauthorized: true,
      ALPNProtocols: ['http/1.1'],
    });
    const done = (err?: Error): void => {
      clearTimeout(timer);
      sock.removeAllListeners('secureConnect');
      sock.on('error', () => undefined);
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error(`no TLS handshake within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    sock.once('secureConnect', () => done());
    sock.once('error', (err) => done(err));
  });
}

function pointAt(kc: KubeConfig, cluster: Cluster, server: string, tlsServerName: string | undefined): void {
  const clusters = kc.getClusters().map((c) => (c.name === cluster.name ? { ...c, server, tlsServerName } : c));
  kc.loadFromOptions({
    clusters,
    users: kc.getUsers(),
    contexts: kc.getContexts(),
    currentContext: kc.getCurrentContext(),
  });
}

/**
 * Whether `address` is on a network the workstation has an IPv4 interface on (loopback included), so that a
 * connection to it stays on that link. A name (not an IPv4 address) is assumed reachable.
 */
export function onLocalNetwork(address: string, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): boolean {
  const target = parseIPv4(address);
  if (target === null) return true;
  for (const list of Object.values(interfaces)) {
    for (const i of list ?? []) {
      if (i.family !== 'IPv4' || !i.cidr) continue;
      const local = parseIPv4(i.address);
      const prefix = Number(i.cidr.split('/')[1]);
      if (local === null || !Number.isInteger(prefix)) continue;
      const mask = prefixMask(prefix);
      if (((local & mask) >>> 0) === ((target & mask) >>> 0)) return true;
    }
  }
  return false;
}

/** Connects to the API server directly when possible, through an SSH port-forward otherwise. */
export async function connectApi(opts: ConnectApiOptions): Promise<ApiConnection> {
  const kc = new KubeConfig();
  try {
    kc.loadFromString(opts.kubeconfigYaml);
  } catch (err) {
    // js-yaml errors quote the input around the problem: do not pass them on (the file holds a key).
    throw new StepError(`the kubeconfig cannot be parsed${err instanceof Error ? ` (${err.name})` : ''}`);
  }
  const id = apiServerIdentity(kc);
  const ca = await caOf(id.cluster);
  const { address, transport } = opts.controlPlane;
  const node = opts.controlPlane.name ?? transport.name;

  const directName = certNameFor(id, address);
  const directServer = httpsUrl(address, id.port);
  let directError = `not tried: the workstation has no interface on ${address}'s network`;
  if (opts.direct ?? onLocalNetwork(address)) {
    try {
      await probeTls(address, id.port, { servername: directName, ca, timeoutMs: opts.directTimeoutMs ?? 2000 });
      pointAt(kc, id.cluster, directServer, directName);
      return { kc, via: 'direct', server: directServer, tlsServerName: directName, close: async () => undefined };
    } catch (err) {
      directError = (err as Error).message;
    }
  }

  const forwardPort = opts.forwardPort ?? API_SERVER_PORT;
  const tunnelTarget = `127.0.0.1:${forwardPort} on ${node}`;
  const unreachable = (why: string, hint?: string): StepError =>
    new StepError(
      `cannot reach the Kubernetes API server: directly at ${directServer}: ${directError}; through SSH to ${tunnelTarget}: ${why}`,
      hint ?? `check that kube-apiserver runs on ${node}: kubelab exec --nodes ${node} -- crictl ps --name kube-apiserver`,
    );
  if (!transport.forward) throw unreachable(`the transport to ${node} cannot forward ports`);
  let fwd: Forward;
  try {
    fwd = await transport.forward('127.0.0.1', forwardPort);
  } catch (err) {
    if (err instanceof TransportError) throw unreachable(err.message, err.hint);
    throw err;
  }
  const tunnelName = certNameFor(id, '127.0.0.1');
  try {
    await probeTls('127.0.0.1', fwd.localPort, { servername: tunnelName, ca, timeoutMs: opts.forwardTimeoutMs ?? 10_000 });
  } catch (err) {
    await fwd.close();
    throw unreachable((err as Error).message);
  }
  const server = httpsUrl('127.0.0.1', fwd.localPort);
  pointAt(kc, id.cluster, server, tunnelName);
  return { kc, via: 'ssh-forward', server, tlsServerName: tunnelName, directError, close: () => fwd.close() };
}

/**
 * The handshake waits for the inventory: 2 s direct and 10 s through the forward, times spec.timing.waitFactor (an
 * emulated control plane at a load of 20 took more than 10 s for one TLS handshake after a reboot).
 */
export function apiConnectTimeouts(inv: Pick<Inventory, 'spec'>): Pick<ConnectApiOptions, 'directTimeoutMs' | 'forwardTimeoutMs'> {
  return { directTimeoutMs: waitMs(inv, 2000), forwardTimeoutMs: waitMs(inv, 10_000) };
}

/** admin.conf from the inventory's first control-plane node, and a connection to the API server with it. */
export async function connectClusterApi(
  inv: Inventory,
  transports: TransportPool,
  opts: Omit<ConnectApiOptions, 'kubeconfigYaml' | 'controlPlane'> = {},
): Promise<ApiConnection & { adminKubeconfig: string; node: InventoryNode }> {
  const node = initNode(inv);
  const transport = transports.get(node);
  const adminKubeconfig = await readAdminKubeconfig(transport);
  const conn = await connectApi({ ...apiConnectTimeouts(inv), ...opts, kubeconfigYaml: adminKubeconfig, controlPlane: { name: node.name, address: node.address, transport } });
  return { ...conn, adminKubeconfig, node };
}
