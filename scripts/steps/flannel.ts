import { StepError } from '../engine/errors.js';
import type { ClusterContext, HostContext, Step } from '../engine/types.js';
import { ipv4Interfaces, type Ipv4Address } from '../facts/interfaces.js';
import { flannelIptablesResyncS, waitMs } from '../inventory/timing.js';
import type { Inventory } from '../inventory/types.js';
import { clusterApi } from '../k8s/cluster-api.js';
import { remoteFact } from '../engine/remote-facts.js';
import { stringifyManifests, type K8sObject } from '../manifests/yaml.js';
import { renderFlannel } from '../render/flannel.js';
import { pinnedObjects } from '../manifests/pinned.js';
import { withLabProbes } from '../manifests/objects.js';
import { stampRenderHash } from '../k8s/apply.js';
import { objectsApplyChanges } from '../host/cluster-objects.js';

export const FLANNEL_NAMESPACE = 'kube-flannel';
export const FLANNEL_DAEMONSET = 'kube-flannel-ds';

/** The NIC holding each node's host-only address, in node order (from `ip -o -4 addr show` on each node). */
export function hostOnlyInterfaces(inv: Inventory, addrs: ReadonlyMap<string, readonly Ipv4Address[]>): string[] {
  return inv.spec.nodes.map((n) => {
    const nic = addrs.get(n.name)?.find((a) => a.address === n.address);
    if (!nic) {
      throw new StepError(
        `${n.name} has no network interface with its inventory address ${n.address}`,
        `check the host-only adapter on ${n.name} (ip -4 addr) and spec.nodes[].address`,
      );
    }
    return nic.name;
  });
}



/** flannel v0.28.9 as kubelab applies it: Network = podSubnet, --iface for each node's host-only NIC (and a slower iptables resync in an emulated lab). */
export async function desiredFlannel(cluster: Pick<ClusterContext, 'inv' | 'settings'>, ifaces: readonly string[]): Promise<K8sObject[]> {
  const upstream = await pinnedObjects(cluster, 'flannel');
  const { image, cniPluginImage } = cluster.inv.spec.network.flannel;
  const iptablesResyncS = flannelIptablesResyncS(cluster.inv);
  const objs = renderFlannel(upstream, {
    podSubnet: cluster.inv.spec.kubernetes.podSubnet,
    ifaces,
    ...(image ? { image } : {}),
    ...(cniPluginImage ? { cniPluginImage } : {}),
    ...(iptablesResyncS ? { iptablesResyncS } : {}),
  });
  return stampRenderHash(withLabProbes(cluster.inv, objs));
}

async function nodeInterfaces(host: HostContext): Promise<string[]> {
  const addrs = new Map<string, readonly Ipv4Address[]>();
  for (const n of host.inv.spec.nodes) addrs.set(n.name, await remoteFact(host, n, ipv4Interfaces));
  return hostOnlyInterfaces(host.inv, addrs);
}


/** flannel applied through the API (server-side apply), bound to the host-only NIC; ready on every node. */
export const flannelStep: Step = {
  name: 'flannel',
  // offline, the NIC names are unknown: flannel's --iface also takes the address the NIC holds
  files: async (ctx) => [
    { scope: 'cluster', path: 'flannel.yaml', content: stringifyManifests(await desiredFlannel(ctx, ctx.inv.spec.nodes.map((n) => n.address))) },
  ],
  async plan(host) {
    const ifaces = await nodeInterfaces(host);
    const objects = await desiredFlannel(host.cluster, ifaces);
    return objectsApplyChanges(host, { addon: 'flannel', detail: `--iface ${[...new Set(ifaces)].join(',')}`, stages: [objects] });
  },
  async verify(host) {
    await (await clusterApi(host.cluster)).waitDaemonSetReady(FLANNEL_NAMESPACE, FLANNEL_DAEMONSET, waitMs(host.inv, 5 * 60_000));
  },
};
