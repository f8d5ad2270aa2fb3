import { StepError } from '../engine/errors.js';
import type { Fact, HostContext } from '../engine/types.js';

export interface Ipv4Address {
  /** Interface name (e.g. enp0s8), without an "@parent" suffix. */
  name: string;
  address: string;
  prefix: number;
}

const LINE = /^\d+:\s+(\S+)\s+inet\s+(\d{1,3}(?:\.\d{1,3}){3})(?:\/(\d{1,2}))?(?:\s+peer\s+\S+?\/(\d{1,2}))?/;

/**
 * Parses `ip -o -4 addr show`: one line per address, e.g.
 * `3: enp0s8    inet 192.168.56.11/24 brd 192.168.56.255 scope global enp0s8\       valid_lft forever ...`.
 * Point-to-point lines (`inet 10.0.0.1 peer 10.0.0.2/32`) take the peer's prefix.
 */
export function parseIpv4Interfaces(stdout: string): Ipv4Address[] {
  const out: Ipv4Address[] = [];
  for (const line of stdout.split('\n')) {
    const m = LINE.exec(line.trim());
    if (!m) continue;
    out.push({ name: m[1]!.replace(/@.*$/, ''), address: m[2]!, prefix: Number(m[3] ?? m[4] ?? 32) });
  }
  return out;
}

/** Every IPv4 address of the host with its interface. */
export const ipv4Interfaces: Fact<Ipv4Address[]> = {
  key: 'ipv4-interfaces',
  argv: ['ip', '-o', '-4', 'addr', 'show'],
  parse: (r) => parseIpv4Interfaces(r.stdout),
};

/** The interface holding `address` in `ip -o -4 addr show` output (undefined when none does). */
export function interfaceForAddress(ipAddrOutput: string, address: string): string | undefined {
  return parseIpv4Interfaces(ipAddrOutput).find((a) => a.address === address)?.name;
}

/**
 * Refuses, before anything changes, to point the node's kubelet or control plane at an inventory address that no
 * interface of the node holds (a typo in the inventory, or an address lost): `what` says what would be moved.
 */
export async function requireHeldAddress(host: HostContext, what: string): Promise<void> {
  const addrs = await host.facts.get(ipv4Interfaces);
  if (addrs.some((a) => a.address === host.node.address)) return;
  const held = addrs.filter((a) => a.name !== 'lo').map((a) => `${a.name} ${a.address}`).join(', ') || 'none';
  throw new StepError(
    `${what} would move to ${host.node.address}, but no interface of ${host.node.name} holds it (it has: ${held})`,
    `set spec.nodes[].address of ${host.node.name} to its host-only address, or give the node ${host.node.address} again`,
  );
}
