import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMOKE_NAMESPACE } from '../../scripts/checks/runner.js';
import { ApiError, type KEvent, type KNode, type KNodeMetrics, type KPod, type KPv, type KPvc, type KService, type KStorageClass, type LogOptions, type ProxyResponse } from '../../scripts/k8s/api.js';
import type { ClusterApi } from '../../scripts/k8s/cluster-api.js';
import type { CsrRecord } from '../../scripts/k8s/csr.js';
import type { K8sObject } from '../../scripts/manifests/yaml.js';
import type { Scenario } from './check-scenario.js';
import { recordedObjectPath } from '../../scripts/k8s/recording-api.js';

const clone = <T>(v: T): T => structuredClone(v);

function matchesSelector(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return labels?.[k!.trim()] === v?.trim();
  });
}

/**
 * The test double of ClusterApi, for steps and checks alike: objects by kind/namespace/name, nodes, CSRs and a
 * log of what was applied, waited for and approved; with a recorded scenario (check-scenario.ts) it also replays
 * that cluster's API responses to the smoke checks. Every call is logged in order in `calls` ("apply 11",
 * "deploy kube-system/coredns", "createPod kubelab-smoke/dns-master", ...).
 */
export class FakeApi implements ClusterApi {
  via = 'fake';
  readonly scenario: Scenario | undefined;
  readonly namespaces: Set<string>;
  /** Pods created in the smoke namespace (kept after it is deleted, for assertions). */
  readonly createdPods = new Map<string, KPod>();
  readonly createdServices: KService[] = [];
  readonly createdPvcs: KPvc[] = [];
  live = new Map<string, K8sObject>();
  applied: K8sObject[][] = [];
  waited: string[] = [];
  /** The timeout each wait was given, by the `waited` entry ("ds kube-flannel/kube-flannel-ds" -> ms). */
  waitTimeoutMs = new Map<string, number | undefined>();
  /** The Nodes listNodes returns (the scenario's nodes.json when there is one). */
  nodes: KNode[];
  csrs: CsrRecord[] = [];
  approved: string[] = [];
  /** Every apply / wait / approval in order, e.g. "apply 11", "crds 10", "deploy kube-system/coredns". */
  calls: string[] = [];

  constructor(scenario?: Scenario) {
    this.scenario = scenario;
    this.nodes = this.file<{ items: KNode[] }>('nodes.json')?.items ?? [];
    const list = this.file<{ items: { metadata: { name: string } }[] }>('namespaces.json');
    this.namespaces = new Set((list?.items ?? []).map((n) => n.metadata.name));
  }

  /** The first scenario folder's copy of a file (parsed JSON), undefined when none has it. */
  file<T>(rel: string): T | undefined {
    const text = this.text(rel);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  text(rel: string): string | undefined {
    for (const dir of this.scenario?.dirs ?? []) {
      const p = join(dir, rel);
      if (existsSync(p)) return readFileSync(p, 'utf8');
    }
    return undefined;
  }
  key(o: K8sObject): string {
    const m = o.metadata as { name: string; namespace?: string };
    return `${o.kind}/${m.namespace ?? ''}/${m.name}`;
  }
  /** The scenario's recorded copy of an object (recording-api.ts: objects/<kind>/<namespace or _cluster>/<name>.json). */
  private recordedObject(kind: string, namespace: string | undefined, name: string): K8sObject | undefined {
    return this.file<K8sObject>(recordedObjectPath(kind, namespace, name));
  }
  async read(o: K8sObject) {
    const m = o.metadata as { name: string; namespace?: string };
    return structuredClone(this.live.get(this.key(o)) ?? this.recordedObject(String(o.kind), m.namespace, m.name) ?? null);
  }
  /** The scenario recorded this namespace Terminating with a deletion failure condition: deleting it does not end. */
  private deletionBlocked(name: string): boolean {
    const ns = this.recordedObject('Namespace', undefined, name) as { metadata?: { deletionTimestamp?: string }; status?: { conditions?: { type?: string; status?: string }[] } } | undefined;
    return !!ns?.metadata?.deletionTimestamp && (ns.status?.conditions ?? []).some((c) => c.status === 'True' && /^NamespaceDeletion\w*Failure$/.test(c.type ?? ''));
  }
  async apply(objs: readonly K8sObject[]) {
    this.applied.push([...objs]);
    this.calls.push(`apply ${objs.length}`);
    for (const o of objs) this.live.set(this.key(o), structuredClone(o));
    return objs.map((o) => ({ name: (o.metadata as { name: string }).name, kind: o.kind as string, outcome: 'created' }));
  }
  private wait(what: string, timeoutMs: number | undefined): void {
    this.waited.push(what);
    this.waitTimeoutMs.set(what, timeoutMs);
  }
  async waitDaemonSetReady(ns: string, name: string, timeoutMs?: number) {
    this.wait(`ds ${ns}/${name}`, timeoutMs);
    this.calls.push(`ds ${ns}/${name}`);
  }
  async waitDeploymentAvailable(ns: string, name: string, timeoutMs?: number) {
    this.wait(`deploy ${ns}/${name}`, timeoutMs);
    this.calls.push(`deploy ${ns}/${name}`);
  }
  async waitCrdsEstablished(names: readonly string[], timeoutMs?: number) {
    this.wait(`crds ${names.join(',')}`, timeoutMs);
    this.calls.push(`crds ${names.length}`);
  }
  async waitApiServiceAvailable(name: string, timeoutMs?: number) {
    this.wait(`apiservice ${name}`, timeoutMs);
    this.calls.push(`apiservice ${name}`);
  }
  async listCsrs() {
    return structuredClone(this.csrs);
  }
  async approveCsr(name: string) {
    this.approved.push(name);
    this.calls.push(`approve ${name}`);
    const csr = this.csrs.find((c) => c.metadata.name === name);
    if (csr) csr.status = { ...csr.status, conditions: [...(csr.status?.conditions ?? []), { type: 'Approved', status: 'True' }] };
  }
  async close() {}

  async listNodes(): Promise<KNode[]> {
    this.calls.push('listNodes');
    return clone(this.nodes);
  }

  async namespaceExists(name: string): Promise<boolean> {
    this.calls.push(`namespaceExists ${name}`);
    return this.namespaces.has(name);
  }

  async createNamespace(name: string, labels: Record<string, string>): Promise<void> {
    this.calls.push(`createNamespace ${name} ${JSON.stringify(labels)}`);
    if (this.namespaces.has(name)) throw new ApiError(`namespaces "${name}" already exists`, 409);
    this.namespaces.add(name);
  }

  /** How many serviceAccountExists calls answer false after a namespace is created (kube-controller-manager's lag). */
  serviceAccountLag = 0;
  private readonly serviceAccountPolls = new Map<string, number>();

  async serviceAccountExists(namespace: string, name: string): Promise<boolean> {
    this.calls.push(`serviceAccountExists ${namespace}/${name}`);
    if (!this.namespaces.has(namespace) || name !== 'default') return false;
    const polls = (this.serviceAccountPolls.get(namespace) ?? 0) + 1;
    this.serviceAccountPolls.set(namespace, polls);
    return polls > this.serviceAccountLag;
  }

  async deleteNamespace(name: string): Promise<void> {
    this.calls.push(`deleteNamespace ${name}`);
    if (this.deletionBlocked(name)) return;
    this.namespaces.delete(name);
    this.serviceAccountPolls.delete(name);
  }

  private recordedPods(ns: string): KPod[] {
    return this.file<{ items: KPod[] }>(`pods/${ns}.json`)?.items ?? [];
  }

  async listPods(namespace: string, labelSelector?: string): Promise<KPod[]> {
    this.calls.push(`listPods ${namespace}${labelSelector ? ` ${labelSelector}` : ''}`);
    const pods =
      namespace === SMOKE_NAMESPACE ? [...this.createdPods.keys()].map((n) => this.smokePod(n)).filter((p): p is KPod => p !== null) : this.recordedPods(namespace);
    return clone(pods.filter((p) => matchesSelector(p.metadata.labels, labelSelector)));
  }

  private smokePod(name: string): KPod | null {
    const created = this.createdPods.get(name);
    if (!created || !this.namespaces.has(SMOKE_NAMESPACE)) return null;
    const rec = this.smoke.pods[name];
    return {
      ...clone(created),
      metadata: { ...created.metadata, namespace: SMOKE_NAMESPACE },
      spec: { ...clone(created.spec!), ...((rec?.spec ?? {}) as object) },
      status: clone((rec?.status as KPod['status']) ?? { phase: 'Pending' }),
    };
  }

  async getPod(namespace: string, name: string): Promise<KPod | null> {
    this.calls.push(`getPod ${namespace}/${name}`);
    if (namespace === SMOKE_NAMESPACE) return this.smokePod(name);
    return clone(this.recordedPods(namespace).find((p) => p.metadata.name === name) ?? null);
  }

  async createPod(namespace: string, pod: KPod): Promise<KPod> {
    this.calls.push(`createPod ${namespace}/${pod.metadata.name}`);
    if (!this.namespaces.has(namespace)) throw new ApiError(`namespaces "${namespace}" not found`, 404);
    if (this.createdPods.has(pod.metadata.name)) throw new ApiError(`pods "${pod.metadata.name}" already exists`, 409);
    this.createdPods.set(pod.metadata.name, clone(pod));
    return this.smokePod(pod.metadata.name)!;
  }

  async podLogs(namespace: string, name: string, opts: LogOptions = {}): Promise<string> {
    this.calls.push(`podLogs ${namespace}/${name}${opts.container ? ` -c ${opts.container}` : ''}`);
    if (!this.recordedPods(namespace).some((p) => p.metadata.name === name)) throw new ApiError(`pods "${name}" not found`, 404);
    const log = this.text(`logs/${namespace}/${name}.log`) ?? '';
    return opts.tailLines !== undefined ? log.split('\n').slice(-opts.tailLines - 1).join('\n') : log.slice(0, opts.limitBytes ?? log.length);
  }

  async listEvents(namespace: string, involvedName?: string): Promise<KEvent[]> {
    this.calls.push(`listEvents ${namespace}${involvedName ? ` ${involvedName}` : ''}`);
    const all =
      namespace === SMOKE_NAMESPACE
        ? Object.values(this.smoke.events).flat()
        : (this.file<{ items: KEvent[] }>(`events/${namespace}.json`)?.items ?? []);
    return clone(involvedName ? all.filter((e) => e.involvedObject.name === involvedName) : all);
  }

  async createService(namespace: string, svc: KService): Promise<KService> {
    this.calls.push(`createService ${namespace}/${svc.metadata.name}`);
    this.createdServices.push(clone(svc));
    const rec = this.smoke.services[svc.metadata.name] ?? {};
    const out = clone(svc);
    if (rec.clusterIP) out.spec.clusterIP = rec.clusterIP;
    if (rec.nodePort && svc.spec.type === 'NodePort') out.spec.ports = out.spec.ports.map((p) => ({ ...p, nodePort: rec.nodePort }));
    return out;
  }

  async listStorageClasses(): Promise<KStorageClass[]> {
    this.calls.push('listStorageClasses');
    return clone(this.file<{ items: KStorageClass[] }>('storageclasses.json')?.items ?? []);
  }

  async createPvc(namespace: string, pvc: KPvc): Promise<KPvc> {
    this.calls.push(`createPvc ${namespace}/${pvc.metadata.name}`);
    this.createdPvcs.push(clone(pvc));
    return clone(pvc);
  }

  async getPvc(namespace: string, name: string): Promise<KPvc | null> {
    this.calls.push(`getPvc ${namespace}/${name}`);
    const created = this.createdPvcs.find((p) => p.metadata.name === name);
    if (!created) return null;
    const rec = this.smoke.pvcs[name] ?? {};
    const out = clone(created);
    if (rec.volumeName) out.spec.volumeName = rec.volumeName;
    out.status = { phase: rec.phase ?? 'Pending' };
    return out;
  }

  /** The scenario's pvs.json, or `pvs` when set. */
  pvs: KPv[] | undefined;

  async listPvs(): Promise<KPv[]> {
    this.calls.push('listPvs');
    return clone(this.pvs ?? this.file<{ items: KPv[] }>('pvs.json')?.items ?? []);
  }

  async getPv(name: string): Promise<KPv | null> {
    this.calls.push(`getPv ${name}`);
    return clone(this.smoke.pvs[name] ?? null);
  }

  async getApiService(name: string) {
    this.calls.push(`getApiService ${name}`);
    return clone(this.file<Awaited<ReturnType<ClusterApi['getApiService']>>>(`apiservices/${name}.json`) ?? null);
  }

  async nodeMetrics(): Promise<KNodeMetrics[]> {
    this.calls.push('nodeMetrics');
    const doc = this.file<{ items?: KNodeMetrics[]; error?: { status: number; message: string } }>('metrics-nodes.json');
    if (!doc) throw new ApiError('the server could not find the requested resource', 404);
    if (doc.error) throw new ApiError(doc.error.message, doc.error.status);
    return clone(doc.items ?? []);
  }

  async proxyGet(namespace: string, service: string, path: string): Promise<ProxyResponse> {
    this.calls.push(`proxyGet ${namespace}/${service}/${path}`);
    const rec = (this.scenario?.proxy ?? {})[`${namespace}/${service}/${path}`];
    if (!rec) {
      const name = service.split(':')[0];
      return { status: 404, body: JSON.stringify({ kind: 'Status', status: 'Failure', message: `services "${name}" not found`, reason: 'NotFound', code: 404 }) };
    }
    return { status: rec.status, body: typeof rec.body === 'string' ? rec.body : JSON.stringify(rec.body) };
  }

  private get smoke(): Scenario['smoke'] {
    return this.scenario?.smoke ?? { pods: {}, services: {}, pvcs: {}, pvs: {}, events: {} };
  }
}
