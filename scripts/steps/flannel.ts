import { createHash } from 'node:crypto';
import { StepError } from '../engine/errors.js';
import type { ClusterContext, HostContext, Step } from '../engine/types.js';
import { ipv4Interfaces, type Ipv4Address } from '../facts/interfaces.js';
import { ADMIN_CONF, kubeadmFiles } from '../facts/kubeadm-files.js';
import type { Inventory } from '../inventory/types.js';
import { clusterApi } from '../k8s/cluster-api.js';
import { remoteFact } from '../kube/remote-facts.js';
import { loadLock, lockedFiles } from '../manifests/lock.js';
import { fetchManifestObjects } from '../manifests/store.js';
import { stringifyManifests, type K8sObject } from '../manifests/yaml.js';
import { renderFlannel } from '../render/flannel.js';

export const FLANNEL_NAMESPACE = 'kube-flannel';
export const FLANNEL_DAEMONSET = 'kube-flannel-ds';
/** On every applied object: the hash of the whole rendered set, so a re-run compares one annotation per object. */
export const RENDER_HASH = 'kubelab.io/rendered-sha256';

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

/** The pinned upstream objects of a lock set, fetched (cache, seed or download) and parsed. */
export async function pinnedObjects(cluster: Pick<ClusterContext, 'settings'>, set: string): Promise<K8sObject[]> {
  const lock = await loadLock();
  const { settings } = cluster;
  const docs = await Promise.all(
    lockedFiles(lock, set).map((entry) =>
      fetchManifestObjects(entry, { cacheDir: settings.manifestCacheDir, offline: settings.offline, seedDirs: settings.manifestSeedDirs }),
    ),
  );
  return docs.flat();
}

/** Stamps every object with the hash of the rendered set (for cheap, exact "already applied" checks). */
export function stampRenderHash(objects: readonly K8sObject[]): K8sObject[] {
  const hash = createHash('sha256').update(stringifyManifests(objects)).digest('hex');
  return objects.map((o) => {
    const copy = structuredClone(o) as K8sObject & { metadata?: { annotations?: Record<string, string> } };
    copy.metadata = { ...copy.metadata, annotations: { ...copy.metadata?.annotations, [RENDER_HASH]: hash } };
    return copy;
  });
}

/** flannel v0.28.9 as kubelab applies it: Network = podSubnet, --iface for each node's host-only NIC. */
export async function desiredFlannel(cluster: Pick<ClusterContext, 'inv' | 'settings'>, ifaces: readonly string[]): Promise<K8sObject[]> {
  const upstream = await pinnedObjects(cluster, 'flannel');
  return stampRenderHash(renderFlannel(upstream, { podSubnet: cluster.inv.spec.kubernetes.podSubnet, ifaces }));
}

async function nodeInterfaces(host: HostContext): Promise<string[]> {
  const addrs = new Map<string, readonly Ipv4Address[]>();
  for (const n of host.inv.spec.nodes) addrs.set(n.name, await remoteFact(host, n, ipv4Interfaces));
  return hostOnlyInterfaces(host.inv, addrs);
}

const hashOf = (o: K8sObject | null): string | undefined =>
  ((o?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {})[RENDER_HASH];

/** flannel applied through the API (server-side apply), bound to the host-only NIC; ready on every node. */
export const flannelStep: Step = {
  name: 'flannel',
  async plan(host) {
    const ifaces = await nodeInterfaces(host);
    const objects = await desiredFlannel(host.cluster, ifaces);
    const apply = {
      description: `apply flannel (${objects.length} objects, --iface ${[...new Set(ifaces)].join(',')})`,
      apply: async (h: HostContext) => void (await (await clusterApi(h.cluster)).apply(objects)),
    };
    if (!(await host.facts.get(kubeadmFiles)).has(ADMIN_CONF)) return [apply]; // no cluster yet (plan on a fresh node)
    const api = await clusterApi(host.cluster);
    const live = await Promise.all(objects.map((o) => api.read(o)));
    return live.every((o, i) => o !== null && hashOf(o) === hashOf(objects[i]!)) ? [] : [apply];
  },
  async verify(host) {
    await (await clusterApi(host.cluster)).waitDaemonSetReady(FLANNEL_NAMESPACE, FLANNEL_DAEMONSET, 5 * 60_000);
  },
};
