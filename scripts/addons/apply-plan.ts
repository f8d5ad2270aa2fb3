/**
 * The change an addon step plans: apply its rendered objects (server-side apply, in stages) unless every object is
 * already live with the same render hash (RENDER_HASH, stamped by stampRenderHash over the whole rendered set).
 */
import type { Change, HostContext } from '../engine/types.js';
import { ADMIN_CONF, kubeadmFiles } from '../facts/kubeadm-files.js';
import { clusterApi, type ClusterApi } from '../k8s/cluster-api.js';
import type { K8sObject } from '../manifests/yaml.js';
import { RENDER_HASH, stampRenderHash } from '../steps/flannel.js';

export interface AddonApply {
  /** "nfs-subdir-external-provisioner", shown in the change: "apply <addon> (N objects)". */
  addon: string;
  /** Objects in apply order, stage by stage (most addons have one stage). */
  stages: readonly (readonly K8sObject[])[];
  /** Run after a stage is applied, before the next (e.g. wait for the setup stage's CRDs). */
  afterStage?(api: ClusterApi, stage: number): Promise<void>;
}

const hashOf = (o: K8sObject | null): string | undefined =>
  ((o?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {})[RENDER_HASH];

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
export async function addonApplyChanges(host: HostContext, a: AddonApply): Promise<Change[]> {
  const count = a.stages.reduce((n, s) => n + s.length, 0);
  const change: Change = {
    description: `apply ${a.addon} (${count} objects)`,
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
