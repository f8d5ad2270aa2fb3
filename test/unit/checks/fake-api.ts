/**
 * A CheckApi replaying recorded API responses from test/fixtures/checks/<scenario>/, and an SSH pool answering
 * from the scenario's ssh.json.
 *
 * A scenario folder holds the API's JSON as listed (nodes.json NodeList, namespaces.json, pods/<ns>.json PodList,
 * events/<ns>.json EventList, logs/<ns>/<pod>.log, storageclasses.json, apiservices/<name>.json, metrics-nodes.json
 * NodeMetricsList or {"error": {status, message}}), proxy.json ("<ns>/<service>/<path>" -> {status, body}),
 * smoke.json (what the objects the checks create turn into: pods by name -> {spec?, status}, services by name ->
 * {clusterIP, nodePort?}, pvcs -> {phase, volumeName}, pvs, events by object name) and ssh.json
 * (node -> "argv joined by spaces" -> {stdout, stderr, code}). scenario.json may name a base scenario: files
 * missing here come from it; smoke.json, proxy.json and ssh.json entries are merged over the base's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError, type CheckApi, type KEvent, type KNode, type KNodeMetrics, type KPod, type KPv, type KPvc, type KService, type KStorageClass, type LogOptions, type ProxyResponse } from '../../../scripts/checks/api.js';
import { SMOKE_NAMESPACE } from '../../../scripts/checks/runner.js';
import type { TransportPool } from '../../../scripts/engine/types.js';
import type { Inventory, InventoryNode } from '../../../scripts/inventory/types.js';
import type { ExecOptions, ExecResult, PutOptions, Transport } from '../../../scripts/transport/types.js';
import { testInventory } from '../../support/inventory.js';

export const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/checks/', import.meta.url));

type Obj = Record<string, unknown>;

interface SmokeRecord {
  pods: Record<string, { spec?: Obj; status?: Obj }>;
  services: Record<string, { clusterIP?: string; nodePort?: number }>;
  pvcs: Record<string, { phase?: string; volumeName?: string }>;
  pvs: Record<string, KPv>;
  events: Record<string, KEvent[]>;
}

export interface Scenario {
  name: string;
  description: string;
  /** Inventory spec overrides (merged over the test inventory with NFS on master). */
  spec: Obj;
  /** Folders, the scenario's own first. */
  dirs: string[];
  smoke: SmokeRecord;
  proxy: Record<string, { status: number; body: unknown }>;
  ssh: Record<string, Record<string, { stdout?: string; stderr?: string; code?: number }>>;
}

const clone = <T>(v: T): T => structuredClone(v);

function readJson(path: string): Obj {
  return JSON.parse(readFileSync(path, 'utf8')) as Obj;
}

export function loadScenario(name: string): Scenario {
  const dirs: string[] = [];
  let description = '';
  let spec: Obj = {};
  for (let n: string | undefined = name; n; ) {
    const dir = join(FIXTURES, n);
    if (!existsSync(dir)) throw new Error(`no fixture scenario ${n}`);
    dirs.push(dir);
    const meta = readJson(join(dir, 'scenario.json')) as { base?: string; description?: string; spec?: Obj };
    if (!description) description = meta.description ?? '';
    spec = { ...(meta.spec ?? {}), ...spec };
    n = meta.base;
  }
  const merged = (file: string): Obj => {
    const out: Obj = {};
    for (const dir of [...dirs].reverse()) {
      const p = join(dir, file);
      if (!existsSync(p)) continue;
      for (const [k, v] of Object.entries(readJson(p))) {
        out[k] = v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' ? { ...(out[k] as Obj), ...(v as Obj) } : v;
      }
    }
    return out;
  };
  const smoke = merged('smoke.json') as Partial<SmokeRecord>;
  return {
    name,
    description,
    spec,
    dirs,
    smoke: { pods: {}, services: {}, pvcs: {}, pvs: {}, events: {}, ...smoke },
    proxy: merged('proxy.json') as Scenario['proxy'],
    ssh: merged('ssh.json') as Scenario['ssh'],
  };
}

/** spec.addons merged over the inventory's, after loading (so the checks see exactly these fields). */
export function withAddons(inv: Inventory, addons: Record<string, Obj>): Inventory {
  const current = ((inv.spec as unknown as { addons?: Record<string, Obj> }).addons ?? {}) as Record<string, Obj>;
  const merged: Record<string, Obj> = { ...current };
  for (const [k, v] of Object.entries(addons)) merged[k] = { ...(current[k] ?? {}), ...v };
  return { ...inv, spec: { ...inv.spec, addons: merged } } as unknown as Inventory;
}

/**
 * The test inventory (master 192.168.56.10, worker1 .11) with NFS served by master from /srv/nfs/k8s and every
 * addon on (monitoring is off by default).
 */
export function scenarioInventory(s: Scenario, extra: Obj = {}): Inventory {
  const inv = testInventory({ nfs: { server: 'master', path: '/srv/nfs/k8s' }, ...s.spec, ...extra });
  return withAddons(inv, { monitoring: { enabled: true } });
}

function matchesSelector(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return labels?.[k!.trim()] === v?.trim();
  });
}

export class FakeCheckApi implements CheckApi {
  /** Every call, in order ("createPod kubelab-smoke/dns-master", ...). */
  readonly calls: string[] = [];
  readonly namespaces: Set<string>;
  /** Pods created in the smoke namespace (kept after it is deleted, for assertions). */
  readonly createdPods = new Map<string, KPod>();
  readonly createdServices: KService[] = [];
  readonly createdPvcs: KPvc[] = [];

  constructor(readonly scenario: Scenario) {
    const list = this.file<{ items: { metadata: { name: string } }[] }>('namespaces.json');
    this.namespaces = new Set((list?.items ?? []).map((n) => n.metadata.name));
  }

  /** The first scenario folder's copy of a file (parsed JSON), undefined when none has it. */
  file<T>(rel: string): T | undefined {
    const text = this.text(rel);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  text(rel: string): string | undefined {
    for (const dir of this.scenario.dirs) {
      const p = join(dir, rel);
      if (existsSync(p)) return readFileSync(p, 'utf8');
    }
    return undefined;
  }

  async listNodes(): Promise<KNode[]> {
    this.calls.push('listNodes');
    return clone(this.file<{ items: KNode[] }>('nodes.json')?.items ?? []);
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

  async deleteNamespace(name: string): Promise<void> {
    this.calls.push(`deleteNamespace ${name}`);
    this.namespaces.delete(name);
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
    const rec = this.scenario.smoke.pods[name];
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
        ? Object.values(this.scenario.smoke.events).flat()
        : (this.file<{ items: KEvent[] }>(`events/${namespace}.json`)?.items ?? []);
    return clone(involvedName ? all.filter((e) => e.involvedObject.name === involvedName) : all);
  }

  async createService(namespace: string, svc: KService): Promise<KService> {
    this.calls.push(`createService ${namespace}/${svc.metadata.name}`);
    this.createdServices.push(clone(svc));
    const rec = this.scenario.smoke.services[svc.metadata.name] ?? {};
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
    const rec = this.scenario.smoke.pvcs[name] ?? {};
    const out = clone(created);
    if (rec.volumeName) out.spec.volumeName = rec.volumeName;
    out.status = { phase: rec.phase ?? 'Pending' };
    return out;
  }

  async getPv(name: string): Promise<KPv | null> {
    this.calls.push(`getPv ${name}`);
    return clone(this.scenario.smoke.pvs[name] ?? null);
  }

  async getApiService(name: string) {
    this.calls.push(`getApiService ${name}`);
    return clone(this.file<Awaited<ReturnType<CheckApi['getApiService']>>>(`apiservices/${name}.json`) ?? null);
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
    const rec = this.scenario.proxy[`${namespace}/${service}/${path}`];
    if (!rec) {
      const name = service.split(':')[0];
      return { status: 404, body: JSON.stringify({ kind: 'Status', status: 'Failure', message: `services "${name}" not found`, reason: 'NotFound', code: 404 }) };
    }
    return { status: rec.status, body: typeof rec.body === 'string' ? rec.body : JSON.stringify(rec.body) };
  }
}

/** SSH answers from ssh.json; unknown commands fail like a missing file. Commands are recorded per node. */
export class FakeSshPool implements TransportPool {
  readonly commands: string[] = [];
  constructor(private readonly answers: Scenario['ssh']) {}
  get(node: Pick<InventoryNode, 'name'>): Transport {
    const answers = this.answers[node.name] ?? {};
    const commands = this.commands;
    return {
      name: node.name,
      async connect() {},
      async close() {},
      async exec(argv: readonly string[], _opts?: ExecOptions): Promise<ExecResult> {
        const cmd = argv.join(' ');
        commands.push(`${node.name}: ${cmd}`);
        const a = answers[cmd];
        if (!a) return { stdout: '', stderr: `${argv[argv.length - 1]}: No such file or directory\n`, code: 1, durationMs: 1 };
        return { stdout: a.stdout ?? '', stderr: a.stderr ?? '', code: a.code ?? 0, durationMs: 1 };
      },
      async put(_c: string | Buffer, dest: string, _o: PutOptions): Promise<void> {
        commands.push(`${node.name}: put ${dest}`);
      },
    };
  }
  async closeAll(): Promise<void> {}
}

/** A clock that only moves when someone sleeps: waits time out at once, deterministically. */
export function fakeClock(): { now: () => number; sleep: (ms: number) => Promise<void>; slept: () => number } {
  let t = 0;
  let slept = 0;
  return {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
      slept += ms;
    },
    slept: () => slept,
  };
}

export const TEST_SETTINGS = { podTimeoutMs: 120_000, pollMs: 1000, metricsWaitMs: 10_000, targetsWaitMs: 10_000, namespaceTimeoutMs: 10_000 };
export const TEST_RUN_ID = 'test-run';
