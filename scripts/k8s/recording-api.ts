import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { safeName, writeRecorded } from '../engine/recording.js';
import type { RunRecorder } from '../engine/types.js';
import type { K8sObject } from '../manifests/yaml.js';
import { isObj, type Obj } from '../util/objects.js';
import { ApiError, type KPod } from './api.js';
import type { ClusterApi } from './cluster-api.js';

const REDACTED_DATA = '<redacted>';

/**
 * A Secret's values never reach a recording: every key of data and stringData is kept, its value replaced (a
 * bootstrap token's token-secret, a ServiceAccount token, a Grafana password alike). Other objects unchanged.
 */
export function withoutSecretData<T>(obj: T): T {
  if (!isObj(obj)) return obj;
  if (Array.isArray((obj as Obj).items)) return { ...obj, items: ((obj as Obj).items as unknown[]).map(withoutSecretData) } as T;
  if (obj.kind !== 'Secret') return obj;
  const out: Obj = { ...obj };
  for (const field of ['data', 'stringData']) {
    const values = out[field];
    if (isObj(values)) out[field] = Object.fromEntries(Object.keys(values).map((k) => [k, REDACTED_DATA]));
  }
  return out as T;
}

interface Named {
  metadata?: { name?: string };
}

/** Where a recording keeps an object read from the API: objects/<kind>/<namespace or _cluster>/<name>.json (safe names). */
export function recordedObjectPath(kind: string, namespace: string | undefined, name: string): string {
  return `objects/${safeName(kind)}/${safeName(namespace ?? '_cluster')}/${safeName(name)}.json`;
}

/**
 * Record mode's ClusterApi: every answer the checks and steps read is written into the recording's check-scenario
 * folder (recorder.apiDir; the layout test/support/check-scenario.ts replays): nodes.json, namespaces.json,
 * pods/<ns>.json, events/<ns>.json, logs/<ns>/<pod>.log, storageclasses.json, apiservices/<name>.json,
 * metrics-nodes.json (or {"error"} when not served), proxy.json, csrs.json, objects/<kind>/<ns>/<name>.json (live
 * objects read before an apply), and smoke.json: what the objects the checks create (in the namespaces they
 * create) turned into. Lists are merged by name over what was already written (a list by label selector adds its
 * pods). Writes pass through unrecorded. Secrets are redacted (withoutSecretData, then recorder.redact).
 */
export function recordingApi(api: ClusterApi, recorder: RunRecorder): ClusterApi {
  const dir = recorder.apiDir;
  const write = (rel: string, content: string): void => writeRecorded(join(dir, rel), recorder.redact(content));
  const json = (rel: string, value: unknown): void => write(rel, `${JSON.stringify(withoutSecretData(value), null, 2)}\n`);
  const readJson = (rel: string): Obj => {
    const p = join(dir, rel);
    return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Obj) : {};
  };
  /** items merged by name over the file's (so several reads of one namespace add up); newest answer wins. */
  const list = (rel: string, items: readonly Named[]): void => {
    const byName = new Map<string, unknown>();
    const name = (i: Named): string => i.metadata?.name ?? JSON.stringify(i);
    for (const i of (readJson(rel).items as Named[] | undefined) ?? []) byName.set(name(i), i);
    for (const i of items) byName.set(name(i), i);
    json(rel, { items: [...byName.values()] });
  };
  /** smoke.json: one section's entry set (the latest answer). */
  const smoke = (section: string, name: string, value: unknown): void => {
    const doc = readJson('smoke.json');
    doc[section] = { ...((doc[section] as Obj | undefined) ?? {}), [name]: value };
    json('smoke.json', doc);
  };
  const created = new Set<string>();
  const namespaces = new Set<string>();
  const smokePod = (pod: KPod): void => {
    const nodeName = pod.spec?.nodeName;
    smoke('pods', pod.metadata.name, { ...(nodeName ? { spec: { nodeName } } : {}), status: pod.status ?? {} });
  };

  return {
    get via() {
      return api.via;
    },
    async read(obj) {
      const live = await api.read(obj);
      const m = (obj.metadata ?? {}) as { name?: string; namespace?: string };
      json(recordedObjectPath(String(obj.kind), m.namespace, m.name ?? ''), live);
      return live;
    },
    apply: (objs: readonly K8sObject[]) => api.apply(objs),
    waitDaemonSetReady: (ns, name, t) => api.waitDaemonSetReady(ns, name, t),
    waitDeploymentAvailable: (ns, name, t) => api.waitDeploymentAvailable(ns, name, t),
    waitCrdsEstablished: (names, t) => api.waitCrdsEstablished(names, t),
    waitApiServiceAvailable: (name, t) => api.waitApiServiceAvailable(name, t),
    async listCsrs() {
      const csrs = await api.listCsrs();
      list('csrs.json', csrs);
      return csrs;
    },
    approveCsr: (name, message) => api.approveCsr(name, message),
    async listNodes() {
      const nodes = await api.listNodes();
      json('nodes.json', { items: nodes });
      return nodes;
    },
    async namespaceExists(name) {
      const exists = await api.namespaceExists(name);
      if (exists && !created.has(name)) {
        namespaces.add(name);
        list('namespaces.json', [...namespaces].map((n) => ({ metadata: { name: n } })));
      }
      return exists;
    },
    async createNamespace(name, labels) {
      created.add(name);
      await api.createNamespace(name, labels);
    },
    deleteNamespace: (name) => api.deleteNamespace(name),
    serviceAccountExists: (namespace, name) => api.serviceAccountExists(namespace, name),
    async listPods(ns, selector) {
      const pods = await api.listPods(ns, selector);
      if (created.has(ns)) pods.forEach(smokePod);
      else list(`pods/${safeName(ns)}.json`, pods);
      return pods;
    },
    async getPod(ns, name) {
      const pod = await api.getPod(ns, name);
      if (pod && created.has(ns)) smokePod(pod);
      else if (pod) list(`pods/${safeName(ns)}.json`, [pod]);
      return pod;
    },
    createPod: (ns, pod) => api.createPod(ns, pod),
    async podLogs(ns, name, opts) {
      const log = await api.podLogs(ns, name, opts);
      if (!created.has(ns)) write(`logs/${safeName(ns)}/${safeName(name)}.log`, log);
      return log;
    },
    async listEvents(ns, involvedName) {
      const events = await api.listEvents(ns, involvedName);
      if (created.has(ns)) {
        if (involvedName) smoke('events', involvedName, events);
      } else list(`events/${safeName(ns)}.json`, events);
      return events;
    },
    async createService(ns, svc) {
      const out = await api.createService(ns, svc);
      const nodePort = out.spec.ports?.find((p) => p.nodePort !== undefined)?.nodePort;
      smoke('services', svc.metadata.name, { ...(out.spec.clusterIP ? { clusterIP: out.spec.clusterIP } : {}), ...(nodePort ? { nodePort } : {}) });
      return out;
    },
    async listStorageClasses() {
      const classes = await api.listStorageClasses();
      json('storageclasses.json', { items: classes });
      return classes;
    },
    createPvc: (ns, pvc) => api.createPvc(ns, pvc),
    async getPvc(ns, name) {
      const pvc = await api.getPvc(ns, name);
      if (pvc) {
        smoke('pvcs', name, { ...(pvc.status?.phase ? { phase: pvc.status.phase } : {}), ...(pvc.spec.volumeName ? { volumeName: pvc.spec.volumeName } : {}) });
      }
      return pvc;
    },
    async listPvs() {
      const pvs = await api.listPvs();
      json('pvs.json', { items: pvs });
      return pvs;
    },
    async getPv(name) {
      const pv = await api.getPv(name);
      if (pv) smoke('pvs', name, pv);
      return pv;
    },
    async getApiService(name) {
      const svc = await api.getApiService(name);
      if (svc) json(`apiservices/${safeName(name)}.json`, svc);
      return svc;
    },
    async nodeMetrics() {
      try {
        const items = await api.nodeMetrics();
        json('metrics-nodes.json', { items });
        return items;
      } catch (err) {
        if (err instanceof ApiError) json('metrics-nodes.json', { error: { status: err.status ?? 0, message: err.message } });
        throw err;
      }
    },
    async proxyGet(ns, service, path) {
      const res = await api.proxyGet(ns, service, path);
      const doc = readJson('proxy.json');
      // JSON kept as JSON when it prints back to the same text; anything else as the text itself
      let body: unknown = res.body;
      try {
        const parsed: unknown = JSON.parse(res.body);
        if (JSON.stringify(parsed) === res.body) body = parsed;
      } catch {
        // not JSON
      }
      doc[`${ns}/${service}/${path}`] = { status: res.status, body };
      json('proxy.json', doc);
      return res;
    },
    close: () => api.close(),
  };
}
