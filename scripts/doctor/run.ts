/**
 * One doctor run: every node's facts read in parallel (one command per node) while the API server is reached, a
 * second command on the nodes where a source needs more (DoctorSource.more: the journal of a unit that is down),
 * then every source's findings, in DOCTOR_SOURCES order. Nodes are touched only through `readNode`, which the command
 * wires to engine/batch-facts (facts are commands without side effects); the API only through DoctorApi's reads.
 */
import type { FactAnswer } from '../engine/facts.js';
import { forEachLimit } from '../engine/pool.js';
import type { Fact } from '../engine/types.js';
import type { Inventory, InventoryNode } from '../inventory/types.js';
import { shJoin, shQuote } from '../transport/quote.js';
import { DOCTOR_SOURCES } from './index.js';
import { kubectlOnControlPlane } from './kubectl.js';
import type { DoctorApi, DoctorContext, DoctorSource, Finding, FirstRead, Fixes, NodeReads } from './types.js';

export interface DoctorRunOptions {
  inv: Inventory;
  /** The inventory file as given (the fixes name it). */
  inventoryFile: string;
  nodes: readonly InventoryNode[];
  /** Reads the facts on one node with one command; rejects when the node cannot be reached. */
  readNode(node: InventoryNode, facts: readonly Fact<unknown>[]): Promise<ReadonlyMap<string, FactAnswer<unknown>>>;
  /** Reaches the API server; rejects when it cannot. */
  openApi(): Promise<DoctorApi & { close(): Promise<void> }>;
  sources?: readonly DoctorSource[];
  concurrency?: number;
  /** The workstation's clock in ms (tests). */
  now?: () => number;
}

export interface DoctorResult {
  findings: Finding[];
  nodes: number;
  unreachable: number;
  api: { reachable: boolean; via?: string; error?: string };
  /** Sources that could not finish (an API error halfway), with why: their findings may be missing. */
  incomplete: { source: string; error: string }[];
  durationMs: number;
  /** Where the time went (wall clock, ms): what to look at when a doctor run is slow. */
  timings: DoctorTimings;
}

export interface DoctorTimings {
  /** The first read of every node (in parallel), and the slowest node's. */
  nodesMs: number;
  slowestNode?: { node: string; ms: number };
  /** The second read (journals of units found down); 0 when no node needed one. */
  moreMs: number;
  /** From the start until the API answered its first read or was given up. */
  apiMs: number;
  /** Each source's diagnosis (API reads included), in DOCTOR_SOURCES order. */
  sources: { source: string; ms: number }[];
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** The fix commands for `inventoryFile`. */
export function fixes(inv: Inventory, inventoryFile: string): Fixes {
  const i = shQuote(inventoryFile);
  const exec = (node: string, argv: readonly string[]): string => `kubelab exec -i ${i} --nodes ${shQuote(node)} -- ${shJoin(argv)}`;
  const up = (phases: string): string => `kubelab up -i ${i} --only ${shQuote(phases)}`;
  return {
    kubelab: (words) => `kubelab ${shJoin(words)} -i ${i}`,
    up,
    exec,
    kubectl: (args) => {
      const k = kubectlOnControlPlane(inv, args);
      return exec(k.node, k.argv);
    },
    repaired: (repair) => {
      const steps = [
        ...(repair.phases?.length ? [up(repair.phases.join(','))] : []),
        ...(repair.commands ?? []).map((c) => exec(c.node, c.argv)),
        ...(repair.thenPhases?.length ? [up(repair.thenPhases.join(','))] : []),
      ];
      return { fix: steps.join('; then '), repair };
    },
  };
}

/** A fact's value in a node's answers; undefined when it was not read or has no valid answer. */
export function answerValue<T>(answers: ReadonlyMap<string, FactAnswer<unknown>> | undefined, fact: Fact<T>): T | undefined {
  const a = answers?.get(fact.key);
  return a && !a.error ? (a.value as T) : undefined;
}

export async function runDoctor(o: DoctorRunOptions): Promise<DoctorResult> {
  const now = o.now ?? Date.now;
  const started = now();
  const sources = o.sources ?? DOCTOR_SOURCES;
  const reads = new Map<string, NodeReads>();

  let apiMs = 0;
  const apiPromise = o
    .openApi()
    .then(
    async (api) => {
      try {
        // one cheap read proves the connection (and its credentials) before the sources rely on it
        const nodes = await api.listNodes();
        const memo: DoctorApi & { close(): Promise<void> } = { ...bindReads(api), listNodes: async () => structuredClone(nodes), close: () => api.close() };
        return { api: memo };
      } catch (err) {
        await api.close().catch(() => undefined);
        return { error: message(err) };
      }
    },
    (err: unknown) => ({ error: message(err) }),
    )
    .finally(() => (apiMs = now() - started));

  await forEachLimit(o.nodes, o.concurrency ?? 10, async (node) => {
    const facts = sources.flatMap((s) => s.facts(node, o.inv));
    const sentAtMs = now();
    try {
      const answers = facts.length ? await o.readNode(node, facts) : new Map();
      reads.set(node.name, { node, answers, sentAtMs, answeredAtMs: now() });
    } catch (err) {
      reads.set(node.name, { node, answers: new Map(), error: message(err), sentAtMs, answeredAtMs: now() });
    }
  });
  const nodesMs = now() - started;
  const conn = await apiPromise;
  const api = 'api' in conn ? conn.api : undefined;
  const moreStarted = now();
  const needMore = await readMore(o, sources, reads, api !== undefined);
  const moreMs = needMore ? now() - moreStarted : 0;

  const ctx: DoctorContext = {
    inv: o.inv,
    nodes: o.nodes,
    reads,
    value: <T>(node: InventoryNode, fact: Fact<T>): T | undefined => answerValue(reads.get(node.name)?.answers, fact),
    ...(api ? { api } : { apiError: 'error' in conn ? conn.error : 'not connected' }),
    fix: fixes(o.inv, o.inventoryFile),
    nowMs: now(),
  };
  const findings: Finding[] = [];
  const incomplete: DoctorResult['incomplete'] = [];
  const sourceMs: DoctorTimings['sources'] = [];
  try {
    // sources run one after the other: their findings keep DOCTOR_SOURCES order, and the API sees one request at a time
    for (const s of sources) {
      const t0 = now();
      try {
        findings.push(...(await s.diagnose(ctx)));
      } catch (err) {
        incomplete.push({ source: s.name, error: message(err) });
      }
      sourceMs.push({ source: s.name, ms: Math.round(now() - t0) });
    }
  } finally {
    await api?.close().catch(() => undefined);
  }
  return {
    findings,
    nodes: o.nodes.length,
    unreachable: [...reads.values()].filter((r) => r.error).length,
    api: api ? { reachable: true, via: api.via } : { reachable: false, ...(ctx.apiError ? { error: ctx.apiError } : {}) },
    incomplete,
    durationMs: Math.round(now() - started),
    timings: {
      nodesMs: Math.round(nodesMs),
      ...slowest(reads),
      moreMs: Math.round(moreMs),
      apiMs: Math.round(apiMs),
      sources: sourceMs,
    },
  };
}

function slowest(reads: ReadonlyMap<string, NodeReads>): Pick<DoctorTimings, 'slowestNode'> {
  let out: DoctorTimings['slowestNode'];
  for (const r of reads.values()) {
    const ms = Math.round(r.answeredAtMs - r.sentAtMs);
    if (!out || ms > out.ms) out = { node: r.node.name, ms };
  }
  return out ? { slowestNode: out } : {};
}

/** The second round: on each node read, the facts the sources want for what the first round found. True when any node needed one. */
async function readMore(o: DoctorRunOptions, sources: readonly DoctorSource[], reads: Map<string, NodeReads>, apiReachable: boolean): Promise<boolean> {
  let any = false;
  await forEachLimit(o.nodes, o.concurrency ?? 10, async (node) => {
    const r = reads.get(node.name);
    if (!r || r.error) return;
    const first: FirstRead = { value: (fact) => answerValue(r.answers, fact), apiReachable };
    const more = sources.flatMap((s) => s.more?.(node, first) ?? []).filter((f) => !r.answers.has(f.key));
    if (!more.length) return;
    any = true;
    let answers: ReadonlyMap<string, FactAnswer<unknown>>;
    try {
      answers = await o.readNode(node, more);
    } catch (err) {
      // the first round's answers stand; these facts stay unanswered (their findings say less)
      answers = new Map(more.map((f) => [f.key, { result: { stdout: '', stderr: message(err), code: -1, durationMs: 0 }, error: new Error(message(err)) }]));
    }
    reads.set(node.name, { ...r, answers: new Map([...r.answers, ...answers]) });
  });
  return any;
}

/** Only DoctorApi's reads of `api`, bound to it (the doctor cannot reach a writing method through it). */
function bindReads(api: DoctorApi): DoctorApi {
  return {
    via: api.via,
    read: (obj) => api.read(obj),
    listNodes: () => api.listNodes(),
    listPods: (ns, sel) => api.listPods(ns, sel),
    listEvents: (ns, name) => api.listEvents(ns, name),
    listPvs: () => api.listPvs(),
  };
}
