/**
 * The slice of the inventory the qemu provider reads, with the provider defaults.
 * Structurally compatible with scripts/inventory's Inventory (only what is used here).
 */
import { UsageError } from '../../util/errors.js';

export type QemuAccelMode = 'auto' | 'kvm' | 'tcg';
export type QemuAccel = 'kvm' | 'tcg';

export type QemuImageSpec =
  | { readonly type: 'debootstrap'; readonly suite: string; readonly mirror: string }
  | { readonly type: 'cloud'; readonly path: string };

export interface QemuProviderSpec {
  readonly type: 'qemu';
  /** MiB per VM (default 2048). */
  readonly memory?: number;
  /** vCPUs per VM (default 2). */
  readonly cpus?: number;
  /** Worker VMs' own size (default: memory and cpus). */
  readonly workers?: { readonly memory?: number; readonly cpus?: number };
  readonly image?: QemuImageSpec;
  /** Node i (in spec.nodes order) is reached on 127.0.0.1:sshPortBase+i (default 2220). */
  readonly sshPortBase?: number;
  readonly accel?: QemuAccelMode;
  /** NAT adapter restricted (default false): the VMs reach nothing outside but hostPorts at 10.0.2.2. */
  readonly isolated?: boolean;
  readonly hostPorts?: readonly number[];
  /** writeback (default): the guest's flushes reach the host disk; unsafe: ignored (fast fsync, lost on a host crash). */
  readonly diskCache?: 'writeback' | 'unsafe';
}

export interface QemuLabNode {
  readonly name: string;
  readonly role: 'control-plane' | 'worker';
  /** Address on the host-only network, inside spec.network.nodeCidr. */
  readonly address: string;
}

export interface QemuLab {
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly network: { readonly nodeCidr: string };
    readonly nodes: readonly QemuLabNode[];
    readonly provider?: QemuProviderSpec;
  };
}

/** Provider settings with every default filled. */
export interface ResolvedProvider {
  readonly memory: number;
  readonly cpus: number;
  readonly workers: { readonly memory: number; readonly cpus: number };
  readonly image: QemuImageSpec;
  readonly sshPortBase: number;
  readonly accel: QemuAccelMode;
  readonly isolated: boolean;
  readonly hostPorts: readonly number[];
  readonly diskCache: 'writeback' | 'unsafe';
}

export const PROVIDER_DEFAULTS: ResolvedProvider = Object.freeze({
  memory: 2048,
  cpus: 2,
  workers: Object.freeze({ memory: 2048, cpus: 2 }),
  image: Object.freeze({ type: 'debootstrap', suite: 'bookworm', mirror: 'http://deb.debian.org/debian' } as const),
  sshPortBase: 2220,
  accel: 'auto',
  isolated: false,
  hostPorts: Object.freeze([]),
  diskCache: 'writeback',
});

export function resolveProvider(lab: QemuLab): ResolvedProvider {
  const p = lab.spec.provider;
  if (p !== undefined && p.type !== 'qemu') {
    throw new UsageError(`provider type '${String((p as { type: unknown }).type)}' is not handled by the qemu provider`, 'spec.provider.type: qemu');
  }
  const memory = p?.memory ?? PROVIDER_DEFAULTS.memory;
  const cpus = p?.cpus ?? PROVIDER_DEFAULTS.cpus;
  return {
    memory,
    cpus,
    workers: { memory: p?.workers?.memory ?? memory, cpus: p?.workers?.cpus ?? cpus },
    image: p?.image ?? PROVIDER_DEFAULTS.image,
    sshPortBase: p?.sshPortBase ?? PROVIDER_DEFAULTS.sshPortBase,
    accel: p?.accel ?? PROVIDER_DEFAULTS.accel,
    isolated: p?.isolated ?? PROVIDER_DEFAULTS.isolated,
    hostPorts: p?.hostPorts ?? PROVIDER_DEFAULTS.hostPorts,
    diskCache: p?.diskCache ?? PROVIDER_DEFAULTS.diskCache,
  };
}

/** The size of one node's VM: a worker's own when spec.provider.workers gives it. */
export function vmSize(prov: ResolvedProvider, node: Pick<QemuLabNode, 'role'>): { memory: number; cpus: number } {
  return node.role === 'worker' ? prov.workers : { memory: prov.memory, cpus: prov.cpus };
}

/** Options every lifecycle call takes. */
export interface VmOptions {
  /** `.kubelab/<cluster>/` (keys, overlays, sockets, logs). */
  readonly stateDir: string;
  /** `.kubelab/images/` (shared base images). */
  readonly cacheDir: string;
  readonly log: (msg: string) => void;
}
