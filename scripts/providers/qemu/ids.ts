/** Deterministic per-node identities: UUID (product_uuid), MAC addresses, SSH ports, host-only addresses. */
import { UsageError } from '../../util/errors.js';
import { createHash } from 'node:crypto';
import { resolveProvider, type QemuLab } from './types.js';

function digest(...parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('\0')).digest();
}

/** A stable RFC 4122 (version 5 style, name-based SHA) UUID for a cluster's node; kubeadm checks product_uuid uniqueness. */
export function nodeUuid(cluster: string, node: string): string {
  const b = digest('kubelab-uuid', cluster, node).subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

type NicRole = 'nat' | 'hostonly';

function macFrom(bytes: Buffer): string {
  // 52:54:00 is QEMU's locally administered prefix.
  return ['52', '54', '00', ...[...bytes.subarray(0, 3)].map((x) => x.toString(16).padStart(2, '0'))].join(':');
}

/** A stable MAC for one NIC of one node (salt only changes to break a collision). */
export function nodeMac(cluster: string, node: string, nic: NicRole, salt = 0): string {
  return macFrom(digest('kubelab-mac', cluster, node, nic, String(salt)));
}

interface NodeMacs {
  readonly nat: string;
  readonly hostonly: string;
}

/**
 * MACs for every node of the lab, unique across the lab: a collision of the 24 hashed bits
 * is resolved by re-hashing the later node (in spec.nodes order) with a salt.
 */
export function labMacs(lab: QemuLab): Map<string, NodeMacs> {
  const used = new Set<string>();
  const out = new Map<string, NodeMacs>();
  const pick = (node: string, nic: NicRole): string => {
    for (let salt = 0; ; salt++) {
      const mac = nodeMac(lab.metadata.name, node, nic, salt);
      if (!used.has(mac)) {
        used.add(mac);
        return mac;
      }
    }
  };
  for (const n of lab.spec.nodes) out.set(n.name, { nat: pick(n.name, 'nat'), hostonly: pick(n.name, 'hostonly') });
  return out;
}

/** Node i in spec.nodes order gets sshPortBase + i. */
export function nodeSshPort(lab: QemuLab, nodeName: string): number {
  const i = lab.spec.nodes.findIndex((n) => n.name === nodeName);
  if (i < 0) throw new UsageError(`node '${nodeName}' is not in cluster '${lab.metadata.name}'`);
  const port = resolveProvider(lab).sshPortBase + i;
  if (port > 65535) throw new UsageError(`ssh port ${port} for node '${nodeName}' is out of range`, 'lower provider.sshPortBase so every node gets a port up to 65535');
  return port;
}

function ipv4ToInt(ip: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) throw new UsageError(`'${ip}' is not an IPv4 address`);
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) throw new UsageError(`'${ip}' is not an IPv4 address`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** "192.168.56.10" in "192.168.56.0/24" -> "192.168.56.10/24". */
export function hostonlyAddress(address: string, nodeCidr: string): string {
  const [net, lenStr] = nodeCidr.split('/');
  const len = Number(lenStr);
  if (net === undefined || !Number.isInteger(len) || len < 1 || len > 30) throw new UsageError(`'${nodeCidr}' is not an IPv4 CIDR`, 'network.nodeCidr needs a prefix length from 1 to 30');
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  if (((ipv4ToInt(address) & mask) >>> 0) !== ((ipv4ToInt(net) & mask) >>> 0)) {
    throw new UsageError(`node address ${address} is outside nodeCidr ${nodeCidr}`, 'give the node an address inside network.nodeCidr');
  }
  return `${address}/${len}`;
}

/** Short name used for qemu's -name and process title: kubelab-<cluster>-<node>. */
export function vmName(cluster: string, node: string): string {
  return `kubelab-${cluster}-${node}`;
}
