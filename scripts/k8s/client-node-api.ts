/**
 * ClusterApi on @kubernetes/client-node, over a connection from connect.ts (direct or through the SSH forward).
 * Loaded with a dynamic import (cluster-api.ts, the check command): commands that never talk to the API do not
 * pay for client-node.
 */
import https from 'node:https';

import {
  ApiregistrationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  StorageV1Api,
  type KubeConfig,
  type V1Namespace,
  type V1PersistentVolumeClaim,
  type V1Pod,
  type V1Service,
} from '@kubernetes/client-node';

import { StepError } from '../engine/errors.js';
import type { TransportPool } from '../engine/types.js';
import type { Inventory } from '../inventory/types.js';
import type { K8sObject } from '../manifests/yaml.js';
import { waitApiServiceAvailable, waitCrdsEstablished } from './addon-waits.js';
import { apiMessage, applyObjects, httpStatus } from './apply.js';
import { describeObject } from '../manifests/objects.js';
import type { ClusterApi } from './cluster-api.js';
import { ApiError, type KApiService, type KEvent, type KNode, type KNodeMetrics, type KPod, type KPv, type KPvc, type KService, type KStorageClass, type ProxyResponse } from './api.js';
import { connectClusterApi, type ApiConnection } from './connect.js';
import { approveCsr, listCsrs } from './csr.js';
import { withDeadlines, type RequestDeadlines } from './request-deadline.js';
import { retryTransient, type RetryOptions } from './transient.js';
import { waitDaemonSetReady, waitDeploymentAvailable } from './wait.js';

/** Default cap on a pod log read (from the start of the log). */
const LOG_LIMIT_BYTES = 256 * 1024;
const PROXY_TIMEOUT_MS = 30_000;

function toApiError(err: unknown, what: string): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(`${what}: ${apiMessage(err)}`, httpStatus(err));
}

/** `fn` once; its error as ApiError. */
async function callOnce<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toApiError(err, what);
  }
}

/**
 * The calls of one ClusterApi: reads tried again after a transient error (etcd timing out under load, a dropped
 * connection: see transient.ts); a read's 404 is null where asked for.
 */
function calls(retry: RetryOptions | undefined) {
  const call = <T>(what: string, fn: () => Promise<T>): Promise<T> => callOnce(what, () => retryTransient(fn, retry));
  return {
    call,
    /** The object, or null on 404. */
    readOrNull: <T>(what: string, fn: () => Promise<T>): Promise<T | null> =>
      call(what, async () => {
        try {
          return await fn();
        } catch (err) {
          if (httpStatus(err) === 404) return null;
          throw err;
        }
      }),
    /**
     * A create tried again after a transient error. The API server may have stored the object before the error
     * reached us (etcd answered late): a later try's "already exists" then reads the object back instead of failing.
     */
    create<T>(what: string, fn: () => Promise<T>, readBack: () => Promise<T>): Promise<T> {
      let tries = 0;
      return call(what, async () => {
        tries++;
        try {
          return await fn();
        } catch (err) {
          if (tries > 1 && httpStatus(err) === 409) return readBack();
          throw err;
        }
      });
    },
  };
}

const asPlain = <T>(v: unknown): T => v as T;

/** A GET on the API server with the kubeconfig's credentials and TLS settings (tls-server-name included). */
async function rawGet(kc: KubeConfig, path: string, timeoutMs = PROXY_TIMEOUT_MS): Promise<ProxyResponse> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new ApiError('the kubeconfig has no current cluster');
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const url = new URL(path, cluster.server.replace(/\/+$/, '') + '/');
  return new Promise<ProxyResponse>((resolve, reject) => {
    const req = https.request(url, { ...opts, method: 'GET', headers: { ...(opts.headers ?? {}), Accept: 'application/json' }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => reject(new ApiError(`GET ${url.pathname}: ${err.message}`)));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
    req.on('error', (err) => reject(new ApiError(`GET ${url.pathname}: ${err.message}`)));
    req.end();
  });
}

const SERVICE_REF = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(:[a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/;

export interface ClientNodeApiOptions {
  /** How reads and creates are tried again after a transient API error (default: retryTransient's); { attempts: 1 }: never. */
  retry?: RetryOptions;
  /**
   * A deadline per request and a budget for all of them (request-deadline.ts). Default: none, undici's own timeouts
   * (300 s for the headers). Not applied to the waits (rollouts, CRDs, APIServices), which have their own timeouts.
   */
  deadlines?: RequestDeadlines;
}

/** admin.conf from the inventory's first control-plane node, and the API behind it (close() closes the forward). */
export async function openClusterApi(inv: Inventory, transports: TransportPool, o: ClientNodeApiOptions = {}): Promise<ClusterApi> {
  return clientNodeApi(await connectClusterApi(inv, transports), o);
}

export function clientNodeApi(conn: Pick<ApiConnection, 'kc' | 'via' | 'close'>, o: ClientNodeApiOptions = {}): ClusterApi {
  const { kc } = conn;
  const { call, readOrNull, create } = calls(o.retry);
  // the clients of the reads and creates below; the waits and applies keep kc (their own timeouts)
  const timed = withDeadlines(kc, o.deadlines ?? {});
  const objects = KubernetesObjectApi.makeApiClient(timed.kc);
  const core = timed.kc.makeApiClient(CoreV1Api);
  const storage = timed.kc.makeApiClient(StorageV1Api);
  const registration = timed.kc.makeApiClient(ApiregistrationV1Api);
  const custom = timed.kc.makeApiClient(CustomObjectsApi);
  return {
    via: conn.via,
    close: () => {
      timed.dispose();
      return conn.close();
    },
    async read(obj) {
      const m = (obj.metadata ?? {}) as { name: string; namespace?: string };
      try {
        return (await objects.read({ apiVersion: obj.apiVersion as string, kind: obj.kind as string, metadata: m })) as unknown as K8sObject;
      } catch (err) {
        if (httpStatus(err) === 404) return null;
        throw new StepError(`reading ${describeObject(obj as never)} failed: ${apiMessage(err)}`);
      }
    },
    async apply(objs) {
      const results = await applyObjects(kc, objs as never);
      return results.map((r) => ({ name: r.name, kind: r.kind, outcome: r.outcome }));
    },
    waitDaemonSetReady: (ns, name, timeoutMs) => waitDaemonSetReady(kc, ns, name, { timeoutMs }),
    waitDeploymentAvailable: (ns, name, timeoutMs) => waitDeploymentAvailable(kc, ns, name, { timeoutMs }),
    waitCrdsEstablished: (names, timeoutMs) => waitCrdsEstablished(kc, names, { timeoutMs }),
    waitApiServiceAvailable: (name, timeoutMs) => waitApiServiceAvailable(kc, name, { timeoutMs }),
    listCsrs: () => listCsrs(kc),
    approveCsr: (name, message) => approveCsr(kc, name, message),
    listNodes: () => call('list nodes', async () => asPlain<KNode[]>((await core.listNode()).items)),
    async namespaceExists(name) {
      return (await readOrNull(`read namespace ${name}`, () => core.readNamespace({ name }))) !== null;
    },
    async createNamespace(name, labels) {
      const body: V1Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } };
      await create(`create namespace ${name}`, async () => void (await core.createNamespace({ body })), async () => undefined);
    },
    async serviceAccountExists(namespace, name) {
      return (await readOrNull(`read serviceaccount ${namespace}/${name}`, () => core.readNamespacedServiceAccount({ namespace, name }))) !== null;
    },
    async deleteNamespace(name) {
      await readOrNull(`delete namespace ${name}`, () => core.deleteNamespace({ name }));
    },
    listPods: (namespace, labelSelector) =>
      call(`list pods in ${namespace}`, async () => asPlain<KPod[]>((await core.listNamespacedPod({ namespace, ...(labelSelector ? { labelSelector } : {}) })).items)),
    getPod: (namespace, name) => readOrNull(`read pod ${namespace}/${name}`, async () => asPlain<KPod>(await core.readNamespacedPod({ namespace, name }))),
    createPod: (namespace, pod) =>
      create(
        `create pod ${namespace}/${pod.metadata.name}`,
        async () => asPlain<KPod>(await core.createNamespacedPod({ namespace, body: pod as unknown as V1Pod })),
        async () => asPlain<KPod>(await core.readNamespacedPod({ namespace, name: pod.metadata.name })),
      ),
    podLogs: (namespace, name, opts = {}) =>
      call(`logs of ${namespace}/${name}`, () =>
        core.readNamespacedPodLog({
          namespace,
          name,
          ...(opts.container ? { container: opts.container } : {}),
          ...(opts.tailLines !== undefined ? { tailLines: opts.tailLines } : { limitBytes: opts.limitBytes ?? LOG_LIMIT_BYTES }),
        }),
      ),
    listEvents: (namespace, involvedName) =>
      call(`list events in ${namespace}`, async () =>
        asPlain<KEvent[]>(
          (await core.listNamespacedEvent({ namespace, ...(involvedName ? { fieldSelector: `involvedObject.name=${involvedName}` } : {}) })).items,
        ),
      ),
    createService: (namespace, svc) =>
      create(
        `create service ${namespace}/${svc.metadata.name}`,
        async () => asPlain<KService>(await core.createNamespacedService({ namespace, body: svc as unknown as V1Service })),
        async () => asPlain<KService>(await core.readNamespacedService({ namespace, name: svc.metadata.name })),
      ),
    listStorageClasses: () => call('list storage classes', async () => asPlain<KStorageClass[]>((await storage.listStorageClass()).items)),
    createPvc: (namespace, pvc) =>
      create(
        `create PVC ${namespace}/${pvc.metadata.name}`,
        async () => asPlain<KPvc>(await core.createNamespacedPersistentVolumeClaim({ namespace, body: pvc as unknown as V1PersistentVolumeClaim })),
        async () => asPlain<KPvc>(await core.readNamespacedPersistentVolumeClaim({ namespace, name: pvc.metadata.name })),
      ),
    getPvc: (namespace, name) =>
      readOrNull(`read PVC ${namespace}/${name}`, async () => asPlain<KPvc>(await core.readNamespacedPersistentVolumeClaim({ namespace, name }))),
    listPvs: () => call('list persistent volumes', async () => asPlain<KPv[]>((await core.listPersistentVolume()).items)),
    getPv: (name) => readOrNull(`read PV ${name}`, async () => asPlain<KPv>(await core.readPersistentVolume({ name }))),
    getApiService: (name) => readOrNull(`read APIService ${name}`, async () => asPlain<KApiService>(await registration.readAPIService({ name }))),
    // once: 503 here is the metrics check's diagnosis (the APIService unavailable), not a moment's trouble
    nodeMetrics: () =>
      callOnce('metrics.k8s.io nodes', async () => {
        const list = (await custom.listClusterCustomObject({ group: 'metrics.k8s.io', version: 'v1beta1', plural: 'nodes' })) as { items?: KNodeMetrics[] };
        return list.items ?? [];
      }),
    async proxyGet(namespace, service, path) {
      if (!SERVICE_REF.test(service)) throw new ApiError(`not a service reference: ${service}`);
      return rawGet(kc, `api/v1/namespaces/${encodeURIComponent(namespace)}/services/${service}/proxy/${path.replace(/^\/+/, '')}`);
    },
  };
}
