/**
 * The change a step plans for a rendered set of objects (flannel, the addons), planned from the control-plane
 * host: apply them (server-side apply, in stages) unless every object is already live with the same render hash
 * and no hand edit of the fields kubelab sets (handEdits: flannel's --iface, images, ConfigMap data).
 */
import type { Change, HostContext } from '../engine/types.js';
import { kubeadmFiles } from '../facts/kubeadm-files.js';
import { ADMIN_CONF } from '../inventory/topology.js';
import { stagesState } from '../k8s/apply.js';
import { clusterApi, type ClusterApi } from '../k8s/cluster-api.js';
import type { K8sObject } from '../manifests/yaml.js';

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

/** Whether the cluster exists yet (admin.conf on the control-plane node); plan on a fresh node cannot ask the API. */
export async function clusterExists(host: HostContext): Promise<boolean> {
  return (await host.facts.get(kubeadmFiles)).has(ADMIN_CONF);
}

/** [] when the addon is live as rendered, else the one change that applies it (naming what was edited by hand). */
export async function objectsApplyChanges(host: HostContext, a: ObjectsApply): Promise<Change[]> {
  const count = a.stages.reduce((n, s) => n + s.length, 0);
  const describe = (edited: readonly string[]): string =>
    `apply ${a.addon} (${count} objects${a.detail ? `, ${a.detail}` : ''})${edited.length ? `: edited by hand: ${edited.join('; ')}` : ''}`;
  const change = (edited: readonly string[]): Change => ({
    description: describe(edited),
    apply: async (h) => {
      const api = await clusterApi(h.cluster);
      for (const [i, stage] of a.stages.entries()) {
        await api.apply(stage);
        await a.afterStage?.(api, i);
      }
    },
  });
  if (!(await clusterExists(host))) return [change([])];
  const state = await stagesState(await clusterApi(host.cluster), a.stages);
  return state.live ? [] : [change(state.edited)];
}
