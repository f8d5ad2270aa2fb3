import { StepError } from '../engine/errors.js';
import type { ClusterContext, Step } from '../engine/types.js';
import { clusterExists, objectsApplyChanges } from '../host/cluster-objects.js';
import { isObj } from '../util/objects.js';
import {
  NFS_PROVISIONER_DEPLOYMENT,
  NFS_PROVISIONER_SET,
  nfsProvisionerSettings,
  renderNfsProvisioner,
} from '../render/nfs-provisioner.js';
import { waitMs } from '../inventory/timing.js';
import { clusterApi, type ClusterApi } from '../k8s/cluster-api.js';
import { stringifyManifests, type K8sObject } from '../manifests/yaml.js';
import { pinnedObjects } from '../manifests/pinned.js';
import { withLabProbes } from '../manifests/objects.js';
import { stampRenderHash } from '../k8s/apply.js';

/** nfs-subdir-external-provisioner as kubelab applies it (render hash stamped). */
export async function desiredNfsProvisioner(cluster: Pick<ClusterContext, 'inv' | 'settings'>): Promise<K8sObject[]> {
  const upstream = await pinnedObjects(cluster, NFS_PROVISIONER_SET);
  return stampRenderHash(withLabProbes(cluster.inv, renderNfsProvisioner(upstream, nfsProvisionerSettings(cluster.inv))));
}

/**
 * A StorageClass's provisioner and parameters cannot change once created: an apply would be refused. Say so
 * before, with the way out (deleting a StorageClass leaves its volumes alone).
 */
async function refuseStorageClassChange(api: ClusterApi, objects: readonly K8sObject[]): Promise<void> {
  const sc = objects.find((o) => o.kind === 'StorageClass');
  if (!sc) return;
  const live = await api.read(sc);
  if (!live) return;
  const params = (o: K8sObject): string => JSON.stringify(Object.entries(isObj(o.parameters) ? o.parameters : {}).sort());
  if (live.provisioner === sc.provisioner && params(live) === params(sc)) return;
  const name = (sc.metadata as { name: string }).name;
  throw new StepError(
    `StorageClass ${name} exists with provisioner ${String(live.provisioner)} and parameters ${params(live)}; ` +
      `kubelab would set ${String(sc.provisioner)} and ${params(sc)}, but a StorageClass's provisioner and parameters cannot change`,
    `delete it (kubectl delete storageclass ${name}; existing volumes stay), then run kubelab up again; or change spec.addons.nfsProvisioner back`,
  );
}

/** Dynamic NFS volumes on spec.nfs's export: the provisioner, its RBAC and StorageClass; its Deployment available. */
export const nfsProvisionerStep: Step = {
  name: 'nfs-provisioner',
  appliesTo: (_node, inv) => inv.spec.addons.nfsProvisioner.enabled,
  files: async (ctx) => [{ scope: 'cluster', path: 'addons/nfs-provisioner.yaml', content: stringifyManifests(await desiredNfsProvisioner(ctx)) }],
  async plan(host) {
    const objects = await desiredNfsProvisioner(host.cluster);
    const changes = await objectsApplyChanges(host, { addon: 'nfs-subdir-external-provisioner', stages: [objects] });
    if (changes.length && (await clusterExists(host))) await refuseStorageClassChange(await clusterApi(host.cluster), objects);
    return changes;
  },
  async verify(host) {
    const ns = host.inv.spec.addons.nfsProvisioner.namespace;
    await (await clusterApi(host.cluster)).waitDeploymentAvailable(ns, NFS_PROVISIONER_DEPLOYMENT, waitMs(host.inv, 5 * 60_000));
  },
};
