/**
 * The objects ClusterApi (cluster-api.ts) hands out and takes, and its error. Objects are plain JSON shapes (the
 * subset of the API types kubelab reads), exactly as the API server sends them: recorded responses are the API's
 * own JSON.
 */
import { KubelabError } from '../util/errors.js';
import { SERVER_TIMED_OUT } from './transient.js';

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

/** An API request that failed: HTTP status (when there was one), the API server's message, and what to do. */
export class ApiError extends KubelabError {
  constructor(
    message: string,
    readonly status?: number,
    hint?: string,
  ) {
    super(message, hint ?? defaultHint(status, message));
    this.name = 'ApiError';
  }
}

function defaultHint(status: number | undefined, message: string): string | undefined {
  if (status === 403 && /error looking up service account/.test(message)) {
    return "the namespace's ServiceAccount does not exist yet: kube-controller-manager creates it (is it running? kubectl -n kube-system get pods)";
  }
  if (status === 403 && SERVER_TIMED_OUT.test(message)) {
    return 'the API server is overloaded: a read it needed to admit the request timed out (not a permission problem; try again, or see spec.timing for a slow lab)';
  }
  if (status === 401 || status === 403) return 'the API server refused the request: the admin kubeconfig lacks the permission';
  if (status === undefined) return 'the API server did not answer (connection lost?)';
  return undefined;
}
