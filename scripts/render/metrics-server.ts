/**
 * metrics-server v0.8.1 from the pinned release render (components.rendered.yaml), with the kubelet TLS mode of the
 * inventory and its image override. Pure: upstream objects in, edited copies out.
 */
import type { Inventory } from '../inventory/types.js';
import type { K8sObject } from '../manifests/yaml.js';
import { container, find, mapImages, overrideImage } from '../manifests/objects.js';

export const METRICS_SERVER_SET = 'metrics-server';
export const METRICS_SERVER_NAMESPACE = 'kube-system';
export const METRICS_SERVER_DEPLOYMENT = 'metrics-server';
/** The aggregated API metrics-server serves (prometheus-adapter claims the same name). */
export const METRICS_API_SERVICE = 'v1beta1.metrics.k8s.io';
export const KUBELET_INSECURE_TLS = '--kubelet-insecure-tls';
const ADDON = 'metrics-server';

export interface MetricsServerSettings {
  /**
   * 'insecure': metrics-server skips verifying the kubelets' self-signed serving certificates
   * (--kubelet-insecure-tls); 'bootstrap': the kubelets have serving certificates from the cluster CA
   * (serverTLSBootstrap) and metrics-server verifies them.
   */
  tls: 'insecure' | 'bootstrap';
  imageRepository: string;
  /** spec.addons.metricsServer.image: replaces the pinned image, used as given. */
  image?: string;
}

export function metricsServerSettings(inv: Inventory): MetricsServerSettings {
  const { tls, image } = inv.spec.addons.metricsServer;
  return { tls, imageRepository: inv.spec.kubernetes.imageRepository, ...(image ? { image } : {}) };
}

/** The release objects with `--kubelet-insecure-tls` on the container exactly once (insecure) or not at all. */
export function renderMetricsServer(upstream: readonly K8sObject[], s: MetricsServerSettings): K8sObject[] {
  const objs = structuredClone(upstream) as K8sObject[];
  const deploy = find(objs, 'Deployment', METRICS_SERVER_DEPLOYMENT, ADDON);
  const c = container(deploy, 'metrics-server', ADDON);
  const args = (Array.isArray(c.args) ? c.args : []).map(String).filter((a) => a !== KUBELET_INSECURE_TLS && !a.startsWith(`${KUBELET_INSECURE_TLS}=`));
  if (s.tls === 'insecure') args.push(KUBELET_INSECURE_TLS);
  c.args = args;
  find(objs, 'APIService', METRICS_API_SERVICE, ADDON);
  mapImages(objs, s.imageRepository);
  overrideImage(objs, deploy, 'metrics-server', s.image, ADDON);
  return objs;
}
