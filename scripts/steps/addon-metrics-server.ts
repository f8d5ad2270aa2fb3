import type { ClusterContext, Step } from '../engine/types.js';
import { objectsApplyChanges } from '../host/cluster-objects.js';
import {
  METRICS_API_SERVICE,
  METRICS_SERVER_DEPLOYMENT,
  METRICS_SERVER_NAMESPACE,
  METRICS_SERVER_SET,
  metricsServerSettings,
  renderMetricsServer,
} from '../render/metrics-server.js';
import { waitMs } from '../inventory/timing.js';
import { clusterApi } from '../k8s/cluster-api.js';
import { stringifyManifests, type K8sObject } from '../manifests/yaml.js';
import { pinnedObjects } from '../manifests/pinned.js';
import { withLabProbes } from '../manifests/objects.js';
import { stampRenderHash } from '../k8s/apply.js';

/** metrics-server v0.8.1 as kubelab applies it (render hash stamped). */
export async function desiredMetricsServer(cluster: Pick<ClusterContext, 'inv' | 'settings'>): Promise<K8sObject[]> {
  const upstream = await pinnedObjects(cluster, METRICS_SERVER_SET);
  return stampRenderHash(withLabProbes(cluster.inv, renderMetricsServer(upstream, metricsServerSettings(cluster.inv))));
}

/** metrics-server applied; its Deployment available and the metrics API (APIService v1beta1.metrics.k8s.io) Available. */
export const metricsServerStep: Step = {
  name: 'metrics-server',
  appliesTo: (_node, inv) => inv.spec.addons.metricsServer.enabled,
  files: async (ctx) => [{ scope: 'cluster', path: 'addons/metrics-server.yaml', content: stringifyManifests(await desiredMetricsServer(ctx)) }],
  async plan(host) {
    return objectsApplyChanges(host, { addon: 'metrics-server', stages: [await desiredMetricsServer(host.cluster)] });
  },
  async verify(host) {
    const api = await clusterApi(host.cluster);
    await api.waitDeploymentAvailable(METRICS_SERVER_NAMESPACE, METRICS_SERVER_DEPLOYMENT, waitMs(host.inv, 5 * 60_000));
    await api.waitApiServiceAvailable(METRICS_API_SERVICE, waitMs(host.inv, 3 * 60_000));
  },
};
