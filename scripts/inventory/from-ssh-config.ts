/**
 * An inventory document for machines described by `vagrant ssh-config` output: each Host a node reached where
 * the config says (HostName, Port, User, the first IdentityFile), with the host-only address given separately
 * (Vagrant's output does not hold it). The first machine is the control plane unless another is named.
 */
import { UsageError } from '../util/errors.js';
import type { SshConfigHost } from './ssh-config.js';

export interface FromSshConfigOptions {
  readonly cluster: string;
  readonly kubernetesVersion: string;
  /** Each machine's host-only address, in the order of the Host blocks. */
  readonly addresses: readonly string[];
  /** The host-only network (default: the /24 of the first address). */
  readonly nodeCidr?: string;
  /** The control-plane machine (default: the first). */
  readonly controlPlane?: string;
}

/** The inventory as plain data (the caller validates it with the loader and writes it as YAML). */
export function inventoryFromSshConfig(hosts: readonly SshConfigHost[], o: FromSshConfigOptions): Record<string, unknown> {
  if (o.addresses.length !== hosts.length) {
    throw new UsageError(
      `--addresses: ${o.addresses.length} given for ${hosts.length} machines (${hosts.map((h) => h.name).join(', ')})`,
      "give each machine's host-only address, in that order (e.g. from the Vagrantfile's private_network ip)",
    );
  }
  const controlPlane = o.controlPlane ?? hosts[0]!.name;
  if (!hosts.some((h) => h.name === controlPlane)) {
    throw new UsageError(`--control-plane ${controlPlane}: no such Host (machines: ${hosts.map((h) => h.name).join(', ')})`);
  }
  const nodes = hosts.map((h, i) => ({
    name: h.name,
    role: h.name === controlPlane ? 'control-plane' : 'worker',
    address: o.addresses[i],
    ssh: {
      ...(h.hostName !== undefined ? { host: h.hostName } : {}),
      ...(h.port !== undefined ? { port: h.port } : {}),
      ...(h.user !== undefined ? { user: h.user } : {}),
      ...(h.identityFiles[0] !== undefined ? { identityFile: h.identityFiles[0] } : {}),
    },
  }));
  const first = o.addresses[0]!.split('.');
  return {
    apiVersion: 'kubelab/v1',
    kind: 'Cluster',
    metadata: { name: o.cluster },
    spec: {
      kubernetes: { version: o.kubernetesVersion },
      network: { nodeCidr: o.nodeCidr ?? `${first.slice(0, 3).join('.')}.0/24` },
      nodes,
    },
  };
}
