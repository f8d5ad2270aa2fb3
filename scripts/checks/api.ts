/**
 * What the smoke checks ask of the cluster: a narrow interface over the Kubernetes API, so the checks run against
 * recorded responses in tests (test/unit/checks/fake-api.ts) and against client-node live (api-client-node.ts).
 *
 * Objects are plain JSON shapes (the subset of the API types the checks read), exactly as the API server sends
 * them: recorded responses are the API's own JSON.
 */

export interface KMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface KCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface KNode {
  metadata: KMeta;
  spec?: { taints?: { key: string; value?: string; effect: string }[]; unschedulable?: boolean };
  status?: {
    conditions?: KCondition[];
    addresses?: { type: string; address: string }[];
    nodeInfo?: { kubeletVersion?: string };
  };
}

export interface KContainerState {
  waiting?: { reason?: string; message?: string };
  running?: Record<string, unknown>;
  terminated?: { exitCode: number; reason?: string; message?: string; signal?: number };
}

export interface KContainerStatus {
  name: string;
  image?: string;
  ready: boolean;
  restartCount?: number;
  state?: KContainerState;
  lastState?: KContainerState;
}

export interface KContainer {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  ports?: { containerPort: number; name?: string; protocol?: string }[];
  readinessProbe?: { httpGet?: { path: string; port: number }; periodSeconds?: number; initialDelaySeconds?: number };
  volumeMounts?: { name: string; mountPath: string }[];
  terminationMessagePolicy?: string;
}

export interface KPod {
  apiVersion?: string;
  kind?: string;
  metadata: KMeta;
  spec?: {
    nodeName?: string;
    restartPolicy?: string;
    terminationGracePeriodSeconds?: number;
    automountServiceAccountToken?: boolean;
    enableServiceLinks?: boolean;
    tolerations?: { operator?: string; key?: string; effect?: string }[];
    containers: KContainer[];
    volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
  };
  status?: {
    phase?: string;
    podIP?: string;
    reason?: string;
    message?: string;
    conditions?: KCondition[];
    containerStatuses?: KContainerStatus[];
    initContainerStatuses?: KContainerStatus[];
  };
}

export interface KEvent {
  metadata?: KMeta;
  involvedObject: { kind?: string; name?: string; namespace?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
}

export interface KService {
  apiVersion?: string;
  kind?: string;
  metadata: KMeta;
  spec: {
    type?: string;
    selector?: Record<string, string>;
    clusterIP?: string;
    ports: { name?: string; port: number; targetPort?: number | string; nodePort?: number; protocol?: string }[];
  };
}

export interface KPvc {
  apiVersion?: string;
  kind?: string;
  metadata: KMeta;
  spec: {
    accessModes: string[];
    resources: { requests: Record<string, string> };
    storageClassName?: string;
    volumeName?: string;
  };
  status?: { phase?: string };
}

export interface KPv {
  metadata: KMeta;
  spec?: {
    storageClassName?: string;
    nfs?: { server: string; path: string };
    csi?: { driver: string };
  };
  status?: { phase?: string };
}

export interface KStorageClass {
  metadata: KMeta;
  provisioner: string;
  volumeBindingMode?: string;
}

export interface KApiService {
  metadata: KMeta;
  spec?: { service?: { namespace?: string; name?: string }; insecureSkipTLSVerify?: boolean };
  status?: { conditions?: KCondition[] };
}

export interface KNodeMetrics {
  metadata: KMeta;
  timestamp?: string;
  usage?: { cpu?: string; memory?: string };
}

export interface ProxyResponse {
  status: number;
  body: string;
}

export interface LogOptions {
  container?: string;
  /** Bytes read from the start of the log (the default reads up to 256 KiB). */
  limitBytes?: number;
  tailLines?: number;
}

/** An API request that failed: HTTP status (when there was one) and the API server's message. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface CheckApi {
  listNodes(): Promise<KNode[]>;
  /** Whether the namespace exists (a Terminating one exists). */
  namespaceExists(name: string): Promise<boolean>;
  createNamespace(name: string, labels: Record<string, string>): Promise<void>;
  /** Starts the deletion; absent already is not an error. */
  deleteNamespace(name: string): Promise<void>;

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

  /** apiregistration.k8s.io/v1 APIService, null when absent. */
  getApiService(name: string): Promise<KApiService | null>;
  /** metrics.k8s.io/v1beta1 nodes (throws ApiError when the metrics API is not served). */
  nodeMetrics(): Promise<KNodeMetrics[]>;

  /**
   * GET through the API server's service proxy: /api/v1/namespaces/NS/services/SERVICE/proxy/PATH
   * (SERVICE may be "name:port"; PATH may carry a query). HTTP errors are returned, not thrown.
   */
  proxyGet(namespace: string, service: string, path: string): Promise<ProxyResponse>;
}
