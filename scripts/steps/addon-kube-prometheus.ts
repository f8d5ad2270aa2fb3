import type { ClusterContext, Step } from '../engine/types.js';
import { stampStages } from '../k8s/apply.js';
import { objectsApplyChanges } from '../host/cluster-objects.js';
import {
  crdNames,
  KUBE_PROMETHEUS_DAEMONSETS,
  KUBE_PROMETHEUS_DEPLOYMENTS,
  KUBE_PROMETHEUS_SET,
  kubePrometheusSettings,
  MONITORING_NAMESPACE,
  renderKubePrometheus,
  splitStages,
  type StagedObjects,
} from '../render/kube-prometheus.js';
import { waitMs } from '../inventory/timing.js';
import { clusterApi } from '../k8s/cluster-api.js';
import { stringifyManifests } from '../manifests/yaml.js';
import { pinnedObjects } from '../manifests/pinned.js';

/** kube-prometheus as kubelab applies it, in its two stages (render hash of both stamped on every object). */
export async function desiredKubePrometheus(cluster: Pick<ClusterContext, 'inv' | 'settings'>): Promise<StagedObjects> {
  const upstream = splitStages(await pinnedObjects(cluster, KUBE_PROMETHEUS_SET));
  const { setup, main } = renderKubePrometheus(upstream, kubePrometheusSettings(cluster.inv));
  const [stampedSetup, stampedMain] = stampStages([setup, main]);
  return { setup: stampedSetup!, main: stampedMain! };
}

/**
 * kube-prometheus: the setup stage (CRDs, Namespace monitoring) applied and its CRDs Established, then the rest
 * (the main objects include instances of those CRDs, so the wait is part of the apply); then its workloads ready.
 */
export const kubePrometheusStep: Step = {
  name: 'kube-prometheus',
  appliesTo: (_node, inv) => inv.spec.addons.monitoring.enabled,
  async files(ctx) {
    const { setup, main } = await desiredKubePrometheus(ctx);
    return [
      { scope: 'cluster', path: 'addons/kube-prometheus-setup.yaml', content: stringifyManifests(setup) },
      { scope: 'cluster', path: 'addons/kube-prometheus.yaml', content: stringifyManifests(main) },
    ];
  },
  async plan(host) {
    const { setup, main } = await desiredKubePrometheus(host.cluster);
    const crds = crdNames(setup);
    return objectsApplyChanges(host, {
      addon: 'kube-prometheus',
      stages: [setup, main],
      afterStage: async (api, stage) => {
        if (stage === 0) await api.waitCrdsEstablished(crds, waitMs(host.inv, 3 * 60_000));
      },
    });
  },
  async verify(host) {
    const api = await clusterApi(host.cluster);
    // images are large: the first one waited for pays most of the pull time
    for (const name of KUBE_PROMETHEUS_DEPLOYMENTS) await api.waitDeploymentAvailable(MONITORING_NAMESPACE, name, waitMs(host.inv, 10 * 60_000));
    for (const name of KUBE_PROMETHEUS_DAEMONSETS) await api.waitDaemonSetReady(MONITORING_NAMESPACE, name, waitMs(host.inv, 10 * 60_000));
  },
};
