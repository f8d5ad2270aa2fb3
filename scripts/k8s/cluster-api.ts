import { StepError } from '../engine/errors.js';
import type { ClusterContext } from '../engine/types.js';
import type { K8sObject } from '../manifests/yaml.js';
import { describeObject } from '../manifests/objects.js';
import type { NodeSummary } from './nodes.js';
import type { CsrRecord } from './csr.js';
import type { KubeConfig } from '@kubernetes/client-node';

/** What phases ask of the API server; one per run, opened on first use (direct or through SSH). */
export interface ClusterApi {
  /** How the API server is reached ('direct' or 'ssh-forward'). */
  readonly via: string;
  /** The client-node configuration behind it (for code that needs more of the API, e.g. the smoke checks). */
  readonly kubeConfig?: KubeConfig;
  /** The live object, or null when it does not exist. */
  read(obj: K8sObject): Promise<K8sObject | null>;
  /** Server-side apply (field manager kubelab); per object: created, changed or unchanged. */
  apply(objs: readonly K8sObject[]): Promise<{ name: string; kind: string; outcome: string }[]>;
  waitDaemonSetReady(namespace: string, name: string, timeoutMs?: number): Promise<void>;
  waitDeploymentAvailable(namespace: string, name: string, timeoutMs?: number): Promise<void>;
  listNodes(): Promise<NodeSummary[]>;
  /** Until every named CustomResourceDefinition is Established (one deadline for all). */
  waitCrdsEstablished(names: readonly string[], timeoutMs?: number): Promise<void>;
  /** Until the APIService (e.g. v1beta1.metrics.k8s.io) is Available. */
  waitApiServiceAvailable(name: string, timeoutMs?: number): Promise<void>;
  /** Every CertificateSigningRequest. */
  listCsrs(): Promise<CsrRecord[]>;
  /** Adds the Approved condition to a CSR (no-op when already approved). */
  approveCsr(name: string, message: string): Promise<void>;
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
    api = openClusterApi(cluster);
    cluster.state.set(KEY, api);
    api.then((a) => cluster.onClose(() => a.close()), () => cluster.state.delete(KEY));
  }
  return api;
}

export function setClusterApi(cluster: ClusterContext, api: ClusterApi): void {
  cluster.state.set(KEY, Promise.resolve(api));
}

async function openClusterApi(cluster: ClusterContext): Promise<ClusterApi> {
  const [{ connectClusterApi }, applying, wait, { listNodes }, client, addonWaits, csr] = await Promise.all([
    import('./connect.js'),
    import('./apply.js'),
    import('./wait.js'),
    import('./nodes.js'),
    import('@kubernetes/client-node'),
    import('./addon-waits.js'),
    import('./csr.js'),
  ]);
  const conn = await connectClusterApi(cluster.inv, cluster.transports);
  const objects = client.KubernetesObjectApi.makeApiClient(conn.kc);
  return {
    via: conn.via,
    kubeConfig: conn.kc,
    async read(obj) {
      const m = (obj.metadata ?? {}) as { name: string; namespace?: string };
      try {
        return (await objects.read({ apiVersion: obj.apiVersion as string, kind: obj.kind as string, metadata: m })) as unknown as K8sObject;
      } catch (err) {
        if (applying.httpStatus(err) === 404) return null;
        throw new StepError(`reading ${describeObject(obj as never)} failed: ${applying.apiMessage(err)}`);
      }
    },
    async apply(objs) {
      const results = await applying.applyObjects(conn.kc, objs as never);
      return results.map((r) => ({ name: r.name, kind: r.kind, outcome: r.outcome }));
    },
    waitDaemonSetReady: (ns, name, timeoutMs) => wait.waitDaemonSetReady(conn.kc, ns, name, { timeoutMs }),
    waitDeploymentAvailable: (ns, name, timeoutMs) => wait.waitDeploymentAvailable(conn.kc, ns, name, { timeoutMs }),
    listNodes: () => listNodes(conn.kc),
    waitCrdsEstablished: (names, timeoutMs) => addonWaits.waitCrdsEstablished(conn.kc, names, { timeoutMs }),
    waitApiServiceAvailable: (name, timeoutMs) => addonWaits.waitApiServiceAvailable(conn.kc, name, { timeoutMs }),
    listCsrs: () => csr.listCsrs(conn.kc),
    approveCsr: (name, message) => csr.approveCsr(conn.kc, name, message),
    close: () => conn.close(),
  };
}
