import type { ClusterContext } from '../engine/types.js';
import type { K8sObject } from '../manifests/yaml.js';
import type { KApiService, KEvent, KNode, KNodeMetrics, KPod, KPv, KPvc, KService, KStorageClass, LogOptions, ProxyResponse } from './api.js';
import type { CsrRecord } from './csr.js';
import { recordingApi } from './recording-api.js';

/**
 * What kubelab asks of the Kubernetes API server: one interface for the steps (apply, waits, CSRs) and the smoke
 * checks, implemented on client-node (client-node-api.ts) and faked in tests (test/support/fake-api.ts). Failed
 * requests throw ApiError (api.ts).
 */
export interface ClusterApi {
  /** How the API server is reached ('direct' or 'ssh-forward'; 'fake' in tests). */
  readonly via: string;
  /** The live object, or null when it does not exist. */
  read(obj: K8sObject): Promise<K8sObject | null>;
  /** Server-side apply (field manager kubelab); per object: created, changed or unchanged. */
  apply(objs: readonly K8sObject[]): Promise<{ name: string; kind: string; outcome: string }[]>;
  waitDaemonSetReady(namespace: string, name: string, timeoutMs?: number): Promise<void>;
  waitDeploymentAvailable(namespace: string, name: string, timeoutMs?: number): Promise<void>;
  /** Until every named CustomResourceDefinition is Established (one deadline for all). */
  waitCrdsEstablished(names: readonly string[], timeoutMs?: number): Promise<void>;
  /** Until the APIService (e.g. v1beta1.metrics.k8s.io) is Available. */
  waitApiServiceAvailable(name: string, timeoutMs?: number): Promise<void>;
  /** Every CertificateSigningRequest. */
  listCsrs(): Promise<CsrRecord[]>;
  /** Adds the Approved condition to a CSR (no-op when already approved). */
  approveCsr(name: string, message: string): Promise<void>;

  listNodes(): Promise<KNode[]>;
  /** Whether the namespace exists (a Terminating one exists). */
  namespaceExists(name: string): Promise<boolean>;
  createNamespace(name: string, labels: Record<string, string>): Promise<void>;
  /** Starts the deletion; absent already is not an error. */
  deleteNamespace(name: string): Promise<void>;
  /** Whether the ServiceAccount exists (a namespace's "default" is made by kube-controller-manager, not at once). */
  serviceAccountExists(namespace: string, name: string): Promise<boolean>;

  listPods(namespace: string, labelSelector?: string): Promise<KPod[]>;
  /** null when absent. */
  getPod(namespace: string, name: string): Promise<KPod | null>;
  createPod(namespace: string, pod: KPod): Promise<KPod>;
  podLogs(namespace: string, name: string, opts?: LogOptions): Promise<string>;
  /** Events about one object (by name), or all of the namespace's. */
  listEvents(namespace: string, involvedName?: string): Promise<KEvent[]>;

  /** Returns the Service as created (clusterIP and nodePorts filled in). */
  createService(namespace: string, svc: KService): Promise<KService>;

  listStorageClasses(): Promise<KStorageClass[]>;
  createPvc(namespace: string, pvc: KPvc): Promise<KPvc>;
  getPvc(namespace: string, name: string): Promise<KPvc | null>;
  getPv(name: string): Promise<KPv | null>;
  /** Every PersistentVolume. */
  listPvs(): Promise<KPv[]>;

  /** apiregistration.k8s.io/v1 APIService, null when absent. */
  getApiService(name: string): Promise<KApiService | null>;
  /** metrics.k8s.io/v1beta1 nodes (throws ApiError when the metrics API is not served). */
  nodeMetrics(): Promise<KNodeMetrics[]>;

  /**
   * GET through the API server's service proxy: /api/v1/namespaces/NS/services/SERVICE/proxy/PATH
   * (SERVICE may be "name:port"; PATH may carry a query). HTTP errors are returned, not thrown.
   */
  proxyGet(namespace: string, service: string, path: string): Promise<ProxyResponse>;

  /** Closes the connection (the SSH forward, if any). */
  close(): Promise<void>;
}


const KEY = 'k8s:api';

/**
 * The run's API connection (memoised in cluster.state, closed when the run ends). client-node is loaded only
 * here, on first use: commands that never talk to the API do not pay for it. Tests put a fake under the key.
 */
export function clusterApi(cluster: ClusterContext): Promise<ClusterApi> {
  let api = cluster.state.get(KEY) as Promise<ClusterApi> | undefined;
  if (!api) {
    const recorder = cluster.recorder;
    api = import('./client-node-api.js')
      .then((m) => m.openClusterApi(cluster.inv, cluster.transports))
      .then((a) => (recorder ? recordingApi(a, recorder) : a));
    cluster.state.set(KEY, api);
    api.then((a) => cluster.onClose(() => a.close()), () => cluster.state.delete(KEY));
  }
  return api;
}

export function setClusterApi(cluster: ClusterContext, api: ClusterApi): void {
  cluster.state.set(KEY, Promise.resolve(api));
}
