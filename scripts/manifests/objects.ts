/**
 * Small structural helpers for the addon renders: find an object, reach a pod template's containers, expand
 * List kinds, map images to the configured registry. They work on plain data (K8sObject) and never on text.
 */
import { StepError } from '../engine/errors.js';
import { isObj, type Obj } from '../util/objects.js';
import type { K8sObject } from './yaml.js';
import { emulatedLab, scaledProbe } from '../inventory/timing.js';
import type { Inventory } from '../inventory/types.js';

/** metadata of an object (created empty when absent). */
export function meta(o: K8sObject): Obj & { name?: string; namespace?: string } {
  if (!isObj(o.metadata)) o.metadata = {};
  return o.metadata as Obj & { name?: string; namespace?: string };
}

export const nameOf = (o: K8sObject): string | undefined => (isObj(o.metadata) ? (o.metadata.name as string | undefined) : undefined);

/** "Deployment kube-system/coredns" */
export function describeObject(o: { kind?: unknown; metadata?: unknown }): string {
  const m = isObj(o.metadata) ? o.metadata : {};
  const ns = typeof m.namespace === 'string' && m.namespace ? `${m.namespace}/` : '';
  return `${typeof o.kind === 'string' ? o.kind : '?'} ${ns}${typeof m.name === 'string' ? m.name : '?'}`;
}

/** The object of that kind and name; an error naming the addon when the pinned files lack it. */
export function find(objs: readonly K8sObject[], kind: string, name: string, addon: string): K8sObject {
  const o = objs.find((x) => x.kind === kind && nameOf(x) === name);
  if (!o) throw new StepError(`${addon} manifests: no ${kind} ${name}`, `is manifests/lock.yaml pinned to the ${addon} release kubelab supports?`);
  return o;
}

/** The containers and init containers of a workload's pod template (Deployment, DaemonSet, StatefulSet, Job). */
export function podContainers(o: K8sObject): Obj[] {
  const spec = isObj(o.spec) ? o.spec : undefined;
  const template = spec && isObj(spec.template) ? spec.template : undefined;
  const pod = template && isObj(template.spec) ? template.spec : undefined;
  if (!pod) return [];
  return [pod.initContainers, pod.containers].flatMap((list) => (Array.isArray(list) ? list.filter(isObj) : []));
}

/** The pod spec of a workload's template (error when absent). */
export function podSpec(o: K8sObject, addon: string): Obj {
  const spec = isObj(o.spec) ? o.spec : undefined;
  const template = spec && isObj(spec.template) ? spec.template : undefined;
  if (!template || !isObj(template.spec)) throw new StepError(`${addon} manifests: ${describeObject(o)} has no pod template`);
  return template.spec;
}

export function container(o: K8sObject, name: string, addon: string): Obj {
  const c = podContainers(o).find((x) => x.name === name);
  if (!c) throw new StepError(`${addon} manifests: ${describeObject(o)} has no container ${name}`);
  return c;
}

/**
 * `v1 ConfigMapList` and friends hold objects in `items`; the API server has no endpoint for a List kind, so
 * (like kubectl) each item is applied on its own. Other objects pass unchanged, in order.
 */
export function expandLists(objs: readonly K8sObject[]): K8sObject[] {
  return objs.flatMap((o) =>
    typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items) ? (o.items.filter(isObj) as K8sObject[]) : [o],
  );
}

export const UPSTREAM_REGISTRY = 'registry.k8s.io';

/**
 * An upstream image as pulled from spec.kubernetes.imageRepository. Images on registry.k8s.io move to the
 * configured repository with the path flattened to its last segment
 * (registry.k8s.io/sig-storage/nfs-subdir-external-provisioner:v4.0.2 -> <repo>/nfs-subdir-external-provisioner:v4.0.2):
 * the flat layout kubeadm itself assumes for a custom imageRepository (it pulls CoreDNS as <repo>/coredns, not
 * <repo>/coredns/coredns), and the layout of the usual mirrors (registry.aliyuncs.com/google_containers).
 * Images on other registries (quay.io, docker.io, ghcr.io) are left alone: spec.runtime.registryMirrors covers those.
 * With the default repository nothing changes.
 */
export function imageFromRepository(image: string, imageRepository: string): string {
  const repo = imageRepository.replace(/\/+$/, '');
  if (repo === UPSTREAM_REGISTRY || !image.startsWith(`${UPSTREAM_REGISTRY}/`)) return image;
  const path = image.slice(UPSTREAM_REGISTRY.length + 1);
  return `${repo}/${path.slice(path.lastIndexOf('/') + 1)}`;
}

/** Every container image of every workload mapped with imageFromRepository (in place, on rendered copies). */
export function mapImages(objs: readonly K8sObject[], imageRepository: string): void {
  for (const o of objs) {
    for (const c of podContainers(o)) {
      if (typeof c.image === 'string') c.image = imageFromRepository(c.image, imageRepository);
    }
  }
}

/**
 * An image override from the inventory (used as given): the image of container `name` of `workload`, and of every
 * other container of `objs` that runs the same image (flannel's install-cni init container runs the daemon's
 * image), becomes `image`. Nothing changes when `image` is undefined. In place, on rendered copies.
 */
export function overrideImage(objs: readonly K8sObject[], workload: K8sObject, name: string, image: string | undefined, addon: string): void {
  if (image === undefined) return;
  const from = container(workload, name, addon).image;
  for (const o of objs) {
    for (const c of podContainers(o)) if (c.image === from) c.image = image;
  }
}

/** Kinds that live outside namespaces, among those the addons ship. */
export const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'StorageClass',
  'CustomResourceDefinition',
  'APIService',
  'PersistentVolume',
  'PriorityClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
]);

/** A Namespace object. */
export function namespaceObject(name: string, labels?: Record<string, string>): K8sObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } };
}

/** Kubernetes' probe defaults (timeoutSeconds 1, failureThreshold 3) where a probe leaves them out. */
const PROBE_DEFAULTS = { timeoutSeconds: 1, failureThreshold: 3 } as const;

/**
 * Every liveness, readiness and startup probe of every workload container rewritten by `scale` (given the probe's
 * timeoutSeconds and failureThreshold, defaults filled): e.g. inventory/timing's scaledProbe for an emulated lab.
 */
function scaleProbes(objs: readonly K8sObject[], scale: (timeoutSeconds: number, failureThreshold: number) => { timeoutSeconds: number; failureThreshold: number }): void {
  for (const o of objs) {
    for (const c of podContainers(o)) {
      for (const key of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
        const probe = c[key];
        if (!isObj(probe)) continue;
        const t = typeof probe.timeoutSeconds === 'number' ? probe.timeoutSeconds : PROBE_DEFAULTS.timeoutSeconds;
        const ft = typeof probe.failureThreshold === 'number' ? probe.failureThreshold : PROBE_DEFAULTS.failureThreshold;
        Object.assign(probe, scale(t, ft));
      }
    }
  }
}

/** The workloads' probes as the lab's timing wants them (relaxed in an emulated lab, unchanged otherwise). */
export function withLabProbes(inv: Pick<Inventory, 'spec'>, objs: K8sObject[]): K8sObject[] {
  if (!emulatedLab(inv)) return objs;
  scaleProbes(objs, (t, f) => scaledProbe(inv, t, f));
  return objs;
}
