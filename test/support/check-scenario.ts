/**
 * Recorded check scenarios (test/fixtures/checks/<scenario>/), replayed by FakeApi (fake-api.ts) and by an SSH
 * pool answering from the scenario's ssh.json.
 *
 * A scenario folder holds the API's JSON as listed (nodes.json NodeList, namespaces.json, pods/<ns>.json PodList,
 * events/<ns>.json EventList, logs/<ns>/<pod>.log, storageclasses.json, apiservices/<name>.json, metrics-nodes.json
 * NodeMetricsList or {"error": {status, message}}), proxy.json ("<ns>/<service>/<path>" -> {status, body}),
 * smoke.json (what the objects the checks create turn into: pods by name -> {spec?, status}, services by name ->
 * {clusterIP, nodePort?}, pvcs -> {phase, volumeName}, pvs, events by object name) and ssh.json
 * (node -> "argv joined by spaces" -> {stdout, stderr, code}); run.json holds the recorded checks' run id. scenario.json may name a base scenario: files
 * missing here come from it; smoke.json, proxy.json and ssh.json entries are merged over the base's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KEvent, KPv } from '../../scripts/k8s/api.js';
import type { TransportPool } from '../../scripts/engine/types.js';
import type { Inventory, InventoryNode } from '../../scripts/inventory/types.js';
import type { ExecOptions, ExecResult, PutOptions, Transport } from '../../scripts/transport/types.js';
import { testInventory } from './inventory.js';

export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/checks/', import.meta.url));

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
  /** The checks' run id when recorded (run.json: what the storage check wrote holds it), else TEST_RUN_ID. */
  runId: string;
}

function readJson(path: string): Obj {
  return JSON.parse(readFileSync(path, 'utf8')) as Obj;
}

export function loadScenario(name: string, root = FIXTURES): Scenario {
  const dirs: string[] = [];
  let description = '';
  let spec: Obj = {};
  for (let n: string | undefined = name; n; ) {
    const dir = join(root, n);
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
    runId: (merged('run.json').runId as string | undefined) ?? TEST_RUN_ID,
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
