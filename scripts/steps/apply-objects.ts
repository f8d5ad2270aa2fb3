/**
 * Applying rendered objects (flannel, the addons): pinned upstream objects fetched, stamped with the hash of the
 * rendered set, and the change a step plans: apply them (server-side apply, in stages) unless every object is
 * already live with the same render hash (RENDER_HASH, stamped by stampRenderHash over the whole rendered set).
 */
import { createHash } from 'node:crypto';
import type { Change, ClusterContext, HostContext } from '../engine/types.js';
import { ADMIN_CONF } from '../inventory/topology.js';
import { kubeadmFiles } from '../facts/kubeadm-files.js';
import { clusterApi, type ClusterApi } from '../k8s/cluster-api.js';
import { loadLock, lockedFiles } from '../manifests/lock.js';
import { fetchManifestObjects } from '../manifests/store.js';
import { stringifyManifests, type K8sObject } from '../manifests/yaml.js';

export interface ObjectsApply {
  /** "flannel", "nfs-subdir-external-provisioner": shown in the change "apply <addon> (N objects)". */
  addon: string;
  /** More for the change's description (e.g. flannel's --iface). */
  detail?: string;
  /** Objects in apply order, stage by stage (most addons have one stage). */
  stages: readonly (readonly K8sObject[])[];
  /** Run after a stage is applied, before the next (e.g. wait for the setup stage's CRDs). */
  afterStage?(api: ClusterApi, stage: number): Promise<void>;
}

/** On every applied object: the hash of the whole rendered set, so a re-run compares one annotation per object. */
export const RENDER_HASH = 'kubelab.io/rendered-sha256';

const hashOf = (o: K8sObject | null): string | undefined =>
  ((o?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {})[RENDER_HASH];

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

/** Stamps the render hash of all stages together on every object; the stages keep their shape. */
export function stampStages(stages: readonly (readonly K8sObject[])[]): K8sObject[][] {
  const stamped = stampRenderHash(stages.flat());
  let at = 0;
  return stages.map((s) => stamped.slice(at, (at += s.length)));
}

/** Whether the cluster exists yet (admin.conf on the control-plane node); plan on a fresh node cannot ask the API. */
export async function clusterExists(host: HostContext): Promise<boolean> {
  return (await host.facts.get(kubeadmFiles)).has(ADMIN_CONF);
}

/** True when every object is live with its render hash; stage by stage, stopping at the first stage that is not. */
export async function stagesLive(api: ClusterApi, stages: readonly (readonly K8sObject[])[]): Promise<boolean> {
  for (const stage of stages) {
    // a later stage may hold instances of CRDs an earlier stage creates: never read past a stage that is not live
    const live = await Promise.all(stage.map((o) => api.read(o)));
    if (!live.every((o, i) => o !== null && hashOf(o) === hashOf(stage[i]!))) return false;
  }
  return true;
}

/** [] when the addon is live as rendered, else the one change that applies it. */
export async function objectsApplyChanges(host: HostContext, a: ObjectsApply): Promise<Change[]> {
  const count = a.stages.reduce((n, s) => n + s.length, 0);
  const change: Change = {
    description: `apply ${a.addon} (${count} objects${a.detail ? `, ${a.detail}` : ''})`,
    apply: async (h) => {
      const api = await clusterApi(h.cluster);
      for (const [i, stage] of a.stages.entries()) {
        await api.apply(stage);
        await a.afterStage?.(api, i);
      }
    },
  };
  if (!(await clusterExists(host))) return [change];
  return (await stagesLive(await clusterApi(host.cluster), a.stages)) ? [] : [change];
}
