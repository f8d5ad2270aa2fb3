/**
 * nfs-subdir-external-provisioner from its pinned deploy/ files (rbac.yaml, deployment.yaml, class.yaml), set for
 * the inventory's NFS export. Pure: upstream objects in, edited copies out.
 */
import { StepError } from '../engine/errors.js';
import { emulatedLab } from '../inventory/timing.js';
import type { Inventory } from '../inventory/types.js';
import type { K8sObject } from '../manifests/yaml.js';
import { isObj, type Obj } from '../util/objects.js';
import { CLUSTER_SCOPED, container, find, mapImages, meta, namespaceObject, overrideImage, podSpec } from '../manifests/objects.js';

export const NFS_PROVISIONER_SET = 'nfs-subdir-external-provisioner';
export const NFS_PROVISIONER_DEPLOYMENT = 'nfs-client-provisioner';
const ADDON = 'nfs-subdir-external-provisioner';
const VOLUME = 'nfs-client-root';
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

export interface NfsProvisionerSettings {
  namespace: string;
  /** Address of the node that serves NFS (its inventory address). */
  server: string;
  /** The exported directory. */
  path: string;
  storageClass: string;
  archiveOnDelete: boolean;
  /** Mark the StorageClass as the cluster default. */
  default: boolean;
  /** spec.kubernetes.imageRepository (see imageFromRepository). */
  imageRepository: string;
  /** spec.addons.nfsProvisioner.image: replaces the pinned image, used as given. */
  image?: string;
  /**
   * Off in an emulated lab (spec.timing profile emulated): its one replica renews a lease with a 10 s deadline
   * that misses under emulation, and each miss exits the provisioner ("leaderelection lost", CrashLoopBackOff).
   */
  leaderElection: boolean;
}

/** The settings from the inventory; an error when spec.nfs is missing (the inventory rules refuse that too). */
export function nfsProvisionerSettings(inv: Inventory): NfsProvisionerSettings {
  const nfs = inv.spec.nfs;
  if (!nfs) {
    throw new StepError('the NFS provisioner needs spec.nfs', 'set spec.nfs.server and path, or spec.addons.nfsProvisioner.enabled: false');
  }
  const server = inv.spec.nodes.find((n) => n.name === nfs.server);
  if (!server) throw new StepError(`spec.nfs.server ${nfs.server} is not a node in spec.nodes`);
  const a = inv.spec.addons.nfsProvisioner;
  return {
    namespace: a.namespace,
    server: server.address,
    path: nfs.path,
    storageClass: a.storageClass,
    archiveOnDelete: a.archiveOnDelete,
    default: a.default,
    imageRepository: inv.spec.kubernetes.imageRepository,
    ...(a.image ? { image: a.image } : {}),
    leaderElection: !emulatedLab(inv),
  };
}

function setEnv(c: Obj, name: string, value: string): void {
  const env = Array.isArray(c.env) ? (c.env as unknown[]).filter(isObj) : [];
  const e = env.find((x) => x.name === name);
  if (!e) throw new StepError(`${ADDON} manifests: container ${String(c.name)} has no env ${name}`);
  e.value = value;
  delete e.valueFrom;
}

function envValue(c: Obj, name: string): unknown {
  return (Array.isArray(c.env) ? (c.env as unknown[]).filter(isObj) : []).find((x) => x.name === name)?.value;
}

/**
 * The provisioner for the export: a Namespace first, then every namespaced object (and the ServiceAccount
 * subjects of the bindings) in that namespace; NFS_SERVER/NFS_PATH and the nfs volume set to the export;
 * PROVISIONER_NAME kept (the StorageClass's provisioner must match it); the image from the configured repository
 * (or the inventory's override);
 * the StorageClass named, archiveOnDelete "true"/"false", and marked default when asked; leader election off when
 * the settings say so (ENABLE_LEADER_ELECTION=false).
 */
export function renderNfsProvisioner(upstream: readonly K8sObject[], s: NfsProvisionerSettings): K8sObject[] {
  const objs = structuredClone(upstream) as K8sObject[];

  for (const o of objs) {
    if (!CLUSTER_SCOPED.has(String(o.kind))) meta(o).namespace = s.namespace;
    if (Array.isArray(o.subjects)) {
      for (const subject of o.subjects.filter(isObj)) {
        if (subject.kind === 'ServiceAccount') subject.namespace = s.namespace;
      }
    }
  }

  const deploy = find(objs, 'Deployment', NFS_PROVISIONER_DEPLOYMENT, ADDON);
  const c = container(deploy, 'nfs-client-provisioner', ADDON);
  setEnv(c, 'NFS_SERVER', s.server);
  setEnv(c, 'NFS_PATH', s.path);
  const provisioner = envValue(c, 'PROVISIONER_NAME');
  if (typeof provisioner !== 'string' || !provisioner) throw new StepError(`${ADDON} manifests: no PROVISIONER_NAME in the Deployment`);
  const volumes = podSpec(deploy, ADDON).volumes;
  const volume = Array.isArray(volumes) ? volumes.filter(isObj).find((v) => v.name === VOLUME) : undefined;
  if (!volume || !isObj(volume.nfs)) throw new StepError(`${ADDON} manifests: the Deployment has no nfs volume ${VOLUME}`);
  volume.nfs = { ...volume.nfs, server: s.server, path: s.path };
  // the provisioner reads ENABLE_LEADER_ELECTION (strconv.ParseBool; unset: on)
  if (!s.leaderElection) c.env = [...(Array.isArray(c.env) ? c.env : []), { name: 'ENABLE_LEADER_ELECTION', value: 'false' }];
  mapImages(objs, s.imageRepository);
  overrideImage(objs, deploy, 'nfs-client-provisioner', s.image, ADDON);

  const classes = objs.filter((o) => o.kind === 'StorageClass');
  if (classes.length !== 1) throw new StepError(`${ADDON} manifests: expected one StorageClass, found ${classes.length}`);
  const sc = classes[0]!;
  if (sc.provisioner !== provisioner) {
    throw new StepError(`${ADDON} manifests: StorageClass provisioner ${String(sc.provisioner)} is not PROVISIONER_NAME ${provisioner}`);
  }
  const m = meta(sc);
  m.name = s.storageClass;
  const annotations = { ...(isObj(m.annotations) ? (m.annotations as Record<string, string>) : {}) };
  delete annotations[DEFAULT_CLASS_ANNOTATION];
  if (s.default) annotations[DEFAULT_CLASS_ANNOTATION] = 'true';
  if (Object.keys(annotations).length) m.annotations = annotations;
  else delete m.annotations;
  sc.parameters = { ...(isObj(sc.parameters) ? sc.parameters : {}), archiveOnDelete: String(s.archiveOnDelete) };

  return [namespaceObject(s.namespace), ...objs];
}
