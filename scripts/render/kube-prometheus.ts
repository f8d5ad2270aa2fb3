/**
 * kube-prometheus v0.18.0 from its pinned manifests (setup/ and the rest), set up for a kubeadm lab. Pure: upstream
 * objects in, edited copies out, in two stages: `setup` (CRDs, Namespace monitoring) must be applied and its CRDs
 * Established before `main` (whose Prometheus, ServiceMonitor, ... objects are instances of those CRDs).
 */
import { StepError } from '../engine/errors.js';
import { KUBE_PROMETHEUS_PINNED, kubePrometheusMatrixText } from '../inventory/schema.js';
import type { Inventory } from '../inventory/types.js';
import type { K8sObject } from '../manifests/yaml.js';
import { METRICS_API_SERVICE } from './metrics-server.js';
import { isObj, type Obj } from '../util/objects.js';
import { expandLists, find, mapImages, nameOf } from '../manifests/objects.js';

export const KUBE_PROMETHEUS_SET = 'kube-prometheus';
export const MONITORING_NAMESPACE = 'monitoring';
const ADDON = 'kube-prometheus';

/** The Deployments of the main stage, waited for after the apply. */
export const KUBE_PROMETHEUS_DEPLOYMENTS = ['prometheus-operator', 'kube-state-metrics', 'grafana', 'blackbox-exporter', 'prometheus-adapter'] as const;
export const KUBE_PROMETHEUS_DAEMONSETS = ['node-exporter'] as const;

/**
 * prometheus-adapter objects that metrics-server ships too, under the same names: its APIService for the metrics
 * API, and the ClusterRole that lets admin/edit/view read metrics.k8s.io (same rules in both).
 */
export const METRICS_SERVER_OWNS: readonly (readonly [kind: string, name: string])[] = [
  ['APIService', METRICS_API_SERVICE],
  ['ClusterRole', 'system:aggregated-metrics-reader'],
];

export interface KubePrometheusSettings {
  /** spec.kubernetes.version ("1.35" or "1.35.2"): must be within the pinned release's support. */
  kubernetesVersion: string;
  /** metrics-server serves v1beta1.metrics.k8s.io: prometheus-adapter's objects of METRICS_SERVER_OWNS are left out. */
  metricsServer: boolean;
  grafanaNodePort: number;
  prometheusNodePort: number;
  imageRepository: string;
}

export function kubePrometheusSettings(inv: Inventory): KubePrometheusSettings {
  const m = inv.spec.addons.monitoring;
  return {
    kubernetesVersion: inv.spec.kubernetes.version,
    metricsServer: inv.spec.addons.metricsServer.enabled,
    grafanaNodePort: m.grafanaNodePort,
    prometheusNodePort: m.prometheusNodePort,
    imageRepository: inv.spec.kubernetes.imageRepository,
  };
}

export interface StagedObjects {
  /** CRDs and Namespace monitoring: applied first, the CRDs waited for until Established. */
  setup: K8sObject[];
  main: K8sObject[];
}

/** The pinned files' objects in two stages: CRDs and Namespaces (manifests/setup) first, then the rest. */
export function splitStages(objs: readonly K8sObject[]): StagedObjects {
  const isSetup = (o: K8sObject): boolean => o.kind === 'CustomResourceDefinition' || o.kind === 'Namespace';
  return { setup: objs.filter(isSetup), main: objs.filter((o) => !isSetup(o)) };
}

/** Refuses a Kubernetes version outside the pinned release's support, with the compatibility matrix. */
export function checkKubePrometheusVersion(version: string): void {
  const minor = Number(/^1\.(\d+)/.exec(version)?.[1]);
  const { minMinor, maxMinor, pinned } = KUBE_PROMETHEUS_PINNED;
  if (minor >= minMinor && minor <= maxMinor) return;
  throw new StepError(
    `kube-prometheus ${pinned} supports Kubernetes 1.${minMinor}-1.${maxMinor}, not ${version}; compatibility: ${kubePrometheusMatrixText()}`,
    `use Kubernetes 1.${minMinor}-1.${maxMinor}, or set spec.addons.monitoring.enabled: false`,
  );
}

/** Names of the CRDs among objects (what to wait for until Established). */
export function crdNames(objs: readonly K8sObject[]): string[] {
  return objs.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => nameOf(o)!);
}

/** The Service type NodePort, the port named `portName` on `nodePort`; returns that port's targetPort. */
function exposeOnNodePort(svc: K8sObject, portName: string, nodePort: number): string | number {
  const spec = isObj(svc.spec) ? svc.spec : undefined;
  const ports = spec && Array.isArray(spec.ports) ? spec.ports.filter(isObj) : [];
  const port = ports.find((p) => p.name === portName);
  if (!spec || !port) throw new StepError(`${ADDON} manifests: Service ${nameOf(svc)} has no port named ${portName}`);
  spec.type = 'NodePort';
  port.nodePort = nodePort;
  const target = port.targetPort ?? port.port;
  if (typeof target !== 'string' && typeof target !== 'number') throw new StepError(`${ADDON} manifests: Service ${nameOf(svc)} port ${portName} has no port`);
  return target;
}

/**
 * NodePort traffic reaches the pod from a node address (kube-proxy SNAT) or an outside client, never from the pods
 * the upstream policy admits: one more ingress rule admits the target port from anywhere. The policy's other rules
 * stay, so every other port of the pod keeps upstream's restriction (flannel itself enforces no NetworkPolicy, but a
 * policy-enforcing CNI would).
 */
function admitFromAnywhere(policy: K8sObject, port: string | number): void {
  const spec = isObj(policy.spec) ? policy.spec : undefined;
  if (!spec) throw new StepError(`${ADDON} manifests: NetworkPolicy ${nameOf(policy)} has no spec`);
  const ingress = Array.isArray(spec.ingress) ? spec.ingress : [];
  spec.ingress = [...ingress, { ports: [{ port, protocol: 'TCP' }] }];
}

/** A headless Service in kube-system selecting a kubeadm static pod, for kube-prometheus's ServiceMonitor. */
function controlPlaneService(name: string, port: number): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'kube-system', labels: { 'app.kubernetes.io/name': name } },
    spec: {
      clusterIP: 'None',
      selector: { component: name },
      ports: [{ name: 'https-metrics', port, targetPort: port, protocol: 'TCP' }],
    },
  };
}

/** kubeadm's static pods are labelled component: <name>; these ports serve /metrics over HTTPS (bind-address 0.0.0.0). */
export const CONTROL_PLANE_METRICS = [
  { name: 'kube-scheduler', port: 10259 },
  { name: 'kube-controller-manager', port: 10257 },
] as const;

/**
 * The two stages for this cluster:
 *  - List kinds (ConfigMapList of the dashboards, RoleList, RoleBindingList) expanded into their items;
 *  - prometheus-adapter's APIService v1beta1.metrics.k8s.io (and its ClusterRole system:aggregated-metrics-reader)
 *    left out when metrics-server is enabled: both addons ship them under the same names;
 *  - Services grafana and prometheus-k8s of type NodePort on the inventory's ports (ports http / web), and their
 *    NetworkPolicies admitting those ports' targets from anywhere;
 *  - headless Services kube-scheduler and kube-controller-manager in kube-system, so the upstream ServiceMonitors
 *    (selector app.kubernetes.io/name, port https-metrics) find kubeadm's static pods;
 *  - registry.k8s.io images from the configured repository.
 */
export function renderKubePrometheus(upstream: StagedObjects, s: KubePrometheusSettings): StagedObjects {
  checkKubePrometheusVersion(s.kubernetesVersion);
  const setup = expandLists(structuredClone(upstream.setup) as K8sObject[]);
  let main = expandLists(structuredClone(upstream.main) as K8sObject[]);
  if (!setup.some((o) => o.kind === 'Namespace' && nameOf(o) === MONITORING_NAMESPACE)) {
    throw new StepError(`${ADDON} manifests: the setup stage has no Namespace ${MONITORING_NAMESPACE}`);
  }

  if (s.metricsServer) {
    // metrics-server ships both, with the same names: one owner each, or every run would flip them back and forth
    for (const [kind, name] of METRICS_SERVER_OWNS) find(main, kind, name, ADDON);
    main = main.filter((o) => !METRICS_SERVER_OWNS.some(([kind, name]) => o.kind === kind && nameOf(o) === name));
  }

  const exposed: [string, string, number][] = [
    ['grafana', 'http', s.grafanaNodePort],
    ['prometheus-k8s', 'web', s.prometheusNodePort],
  ];
  for (const [name, portName, nodePort] of exposed) {
    const target = exposeOnNodePort(find(main, 'Service', name, ADDON), portName, nodePort);
    admitFromAnywhere(find(main, 'NetworkPolicy', name, ADDON), target);
  }

  for (const { name, port } of CONTROL_PLANE_METRICS) {
    const monitor = find(main, 'ServiceMonitor', name, ADDON) as Obj;
    const selector = isObj(monitor.spec) && isObj(monitor.spec.selector) ? monitor.spec.selector.matchLabels : undefined;
    if (!isObj(selector) || selector['app.kubernetes.io/name'] !== name) {
      throw new StepError(`${ADDON} manifests: ServiceMonitor ${name} no longer selects app.kubernetes.io/name=${name}`);
    }
    main.push(controlPlaneService(name, port));
  }

  mapImages(setup, s.imageRepository);
  mapImages(main, s.imageRepository);
  return { setup, main };
}
