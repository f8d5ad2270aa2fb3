/**
 * Which interface flannel chose on each node, from the kube-flannel pods' logs ("Using interface with name X and
 * address Y", logged once at start) or, when a log cannot be read (the API server reaches kubelets at their
 * InternalIP, which a wrong node IP breaks), from the flannel.alpha.coreos.com/public-ip annotation flannel puts
 * on its Node.
 */
import { VIRTUALBOX_NAT_ADDRESS } from '../inventory/schema.js';
import { cidrContains, parseCidr, parseIPv4 } from '../inventory/net.js';
import type { Inventory } from '../inventory/types.js';
import type { KNode } from '../k8s/api.js';
import type { ClusterApi } from '../k8s/cluster-api.js';

export const FLANNEL_NAMESPACE = 'kube-flannel';
export const FLANNEL_SELECTOR = 'app=flannel';
export const FLANNEL_CONTAINER = 'kube-flannel';
export const FLANNEL_PUBLIC_IP_ANNOTATION = 'flannel.alpha.coreos.com/public-ip';

const CHOSEN = /Using interface with name (\S+) and address (\S+)/g;

export interface FlannelChoice {
  node: string;
  iface?: string;
  address: string;
  source: 'log' | 'annotation';
}

/** The last "Using interface with name X and address Y" of a flannel log. */
export function chosenInterface(log: string): { iface: string; address: string } | undefined {
  let last: { iface: string; address: string } | undefined;
  for (const m of log.matchAll(CHOSEN)) last = { iface: m[1]!, address: m[2]! };
  return last;
}

/** What flannel uses on each node it runs on (nodes whose choice cannot be found are left out). */
export async function flannelChoices(api: ClusterApi, nodes?: readonly KNode[]): Promise<FlannelChoice[]> {
  const out = new Map<string, FlannelChoice>();
  let pods: Awaited<ReturnType<ClusterApi['listPods']>> = [];
  try {
    pods = await api.listPods(FLANNEL_NAMESPACE, FLANNEL_SELECTOR);
  } catch {
    pods = [];
  }
  for (const pod of pods) {
    const node = pod.spec?.nodeName;
    if (!node || out.has(node)) continue;
    try {
      const chosen = chosenInterface(await api.podLogs(FLANNEL_NAMESPACE, pod.metadata.name, { container: FLANNEL_CONTAINER, limitBytes: 256 * 1024 }));
      if (chosen) out.set(node, { node, ...chosen, source: 'log' });
    } catch {
      // fall back to the annotation below
    }
  }
  let live = nodes;
  if (!live) {
    try {
      live = await api.listNodes();
    } catch {
      live = [];
    }
  }
  for (const n of live) {
    const ip = n.metadata.annotations?.[FLANNEL_PUBLIC_IP_ANNOTATION];
    if (ip && !out.has(n.metadata.name)) out.set(n.metadata.name, { node: n.metadata.name, address: ip, source: 'annotation' });
  }
  return [...out.values()].sort((a, b) => a.node.localeCompare(b.node));
}

/** True when the address is the shared NAT one or outside the inventory's node network. */
export function isNatAddress(inv: Inventory, address: string): boolean {
  if (address === VIRTUALBOX_NAT_ADDRESS) return true;
  const cidr = parseCidr(inv.spec.network.nodeCidr);
  const ip = parseIPv4(address);
  return cidr.ok && ip !== null && !cidrContains(cidr.cidr, ip);
}

/** Nodes where flannel does not use the inventory address, as diagnoses; [] when all look right. */
export function flannelProblems(inv: Inventory, choices: readonly FlannelChoice[]): string[] {
  const problems: string[] = [];
  for (const c of choices) {
    const node = inv.spec.nodes.find((n) => n.name === c.node);
    if (!node || c.address === node.address) continue;
    const seen = c.source === 'log' ? `its log says "Using interface with name ${c.iface} and address ${c.address}"` : `its ${FLANNEL_PUBLIC_IP_ANNOTATION} annotation is ${c.address}`;
    if (isNatAddress(inv, c.address)) {
      problems.push(
        `flannel on ${c.node} runs on the NAT NIC${c.iface ? ` ${c.iface}` : ''} (${c.address}; ${seen}): --iface missing; the kube-flannel DaemonSet needs --iface=<host-only NIC> (${node.address}), then restart its pods`,
      );
    } else {
      problems.push(`flannel on ${c.node} uses ${c.iface ?? 'an interface with'} ${c.address}, not the inventory address ${node.address} (${seen}): check --iface`);
    }
  }
  return problems;
}

/** The flannel part of a cross-node diagnosis (undefined when flannel's choices look right or are unknown). */
export async function flannelDiagnosis(inv: Inventory, api: ClusterApi, nodes?: readonly KNode[]): Promise<string | undefined> {
  const problems = flannelProblems(inv, await flannelChoices(api, nodes));
  return problems.length ? problems.join('; ') : undefined;
}
