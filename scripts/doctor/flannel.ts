/**
 * flannel-wrong-iface: the kube-flannel DaemonSet without --iface for the inventory's host-only NIC (flannel then
 * takes the default route's NIC, the NAT one), or a Node whose flannel public-ip annotation is not its address.
 */
import { FLANNEL_PUBLIC_IP_ANNOTATION } from '../checks/flannel.js';
import { ipv4Interfaces, type Ipv4Address } from '../facts/interfaces.js';
import { FLANNEL_DAEMONSET, FLANNEL_NAMESPACE } from '../steps/flannel.js';
import { kubectlOnControlPlane } from './kubectl.js';
import type { DoctorSource, Finding } from './types.js';

/** Every flannel pod started again (each then reads its node's addresses and announces them). */
export const FLANNEL_ROLLOUT_RESTART = ['-n', FLANNEL_NAMESPACE, 'rollout', 'restart', `daemonset/${FLANNEL_DAEMONSET}`];

interface DaemonSetLike {
  spec?: { template?: { spec?: { containers?: { name?: string; args?: string[]; command?: string[] }[] } } };
}

/** The --iface values of flannel's container args, in order ("--iface=eth1" and "--iface eth1"). */
export function ifaceArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    const m = /^--?iface(=(.*))?$/.exec(a);
    if (m) out.push(m[1] ? m[2]! : (args[i + 1] ?? ''));
  });
  return out;
}

/** The interface flannel picks on a node from its --iface list: the first that exists there (by name or address). */
export function pickedIface(ifaces: readonly string[], addrs: readonly Ipv4Address[]): Ipv4Address | undefined {
  for (const want of ifaces) {
    const hit = addrs.find((a) => a.name === want || a.address === want);
    if (hit) return hit;
  }
  return undefined;
}

export const flannelSource: DoctorSource = {
  name: 'flannel',
  facts: () => [ipv4Interfaces],
  async diagnose(ctx) {
    if (!ctx.api) return [];
    const out: Finding[] = [];
    const ds = (await ctx.api.read({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: FLANNEL_DAEMONSET, namespace: FLANNEL_NAMESPACE } })) as DaemonSetLike | null;
    if (ds) {
      const c = ds.spec?.template?.spec?.containers?.find((x) => x.name === 'kube-flannel');
      const ifaces = ifaceArgs([...(c?.command ?? []), ...(c?.args ?? [])]);
      for (const node of ctx.nodes) {
        const addrs = ctx.value(node, ipv4Interfaces);
        const hostOnly = addrs?.find((a) => a.address === node.address);
        if (!addrs || !hostOnly) continue; // unreadable, or the address itself changed (address-changed)
        const picked = pickedIface(ifaces, addrs);
        if (picked?.name === hostOnly.name) continue;
        out.push({
          code: 'flannel-wrong-iface',
          node: node.name,
          symptom: ifaces.length
            ? `the kube-flannel DaemonSet's --iface=${ifaces.join(',')} ${picked ? `selects ${picked.name} (${picked.address})` : 'matches no interface'} on ${node.name}, not its host-only NIC ${hostOnly.name} (${node.address})`
            : `the kube-flannel DaemonSet has no --iface: flannel uses the default route's NIC on ${node.name}, not its host-only NIC ${hostOnly.name} (${node.address})`,
          cause: 'flannel then tunnels pod traffic over the NAT NIC (10.0.2.15 on every VM): pods on different nodes cannot reach each other',
          ...ctx.fix.repaired({ phases: ['network'] }),
        });
      }
    }
    const wrongIface = new Set(out.map((f) => f.node));
    for (const live of await ctx.api.listNodes()) {
      const node = ctx.nodes.find((n) => n.name === live.metadata.name);
      const ip = live.metadata.annotations?.[FLANNEL_PUBLIC_IP_ANNOTATION];
      if (!node || !ip || ip === node.address || wrongIface.has(node.name)) continue;
      out.push({
        code: 'flannel-wrong-iface',
        node: node.name,
        symptom: `flannel on ${node.name} announces ${ip} (${FLANNEL_PUBLIC_IP_ANNOTATION}), not ${node.address}`,
        cause: "its flannel pod started with another interface (before --iface was set, or the node's address changed) and still uses it",
        ...ctx.fix.repaired({ phases: ['network'], commands: [kubectlOnControlPlane(ctx.inv, FLANNEL_ROLLOUT_RESTART)] }),
      });
    }
    return out;
  },
};
