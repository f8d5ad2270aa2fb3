import type { Inventory, InventoryNode } from '../inventory/types.js';
import { TransportError, type ExecOptions, type Transport } from '../transport/types.js';
import { redact } from '../transport/redact.js';
import { StepError, tail } from './errors.js';
import { KubelabError } from '../util/errors.js';
import { abortReason, raceAbort } from '../util/abort.js';
import { endWithSummary } from '../util/end-with-summary.js';
import { FactCache, RecordingFacts } from './facts.js';
import { forEachLimit } from './pool.js';
import { clearRemoteFacts } from './remote-facts.js';
import type { ClusterContext, Facts, HostContext, RunRecorder, RunSettings, Step, HostTally, Phase, Reporter, RunEvent, RunMode, Summary, TransportPool } from './types.js';

export interface RunOptions {
  inv: Inventory;
  phases: readonly Phase[];
  mode: RunMode;
  reporter: Reporter;
  transports: TransportPool;
  /** Hosts handled at once within a phase. */
  concurrency: number;
  logDir: string;
  /** From the command's Settings (util/settings.ts). */
  settings: RunSettings;
  /**
   * The run's interrupt (CliContext.signal): once aborted, no phase or step starts (they are skipped with the
   * reason), a host still connecting is given up, and the summary says the run was interrupted. The running
   * commands themselves are interrupted by the transports (ExecOptions.signal).
   */
  signal?: AbortSignal;
  /** Record mode (KUBELAB_RECORD): the run's facts and API answers are written for test fixtures. */
  recorder?: RunRecorder;
}

/** Why a host is out of the run: set once, then every later step on it is skipped with this reason. */
interface HostState {
  tally: HostTally;
  blocked?: string;
  facts?: FactCache;
  runState: Map<string, unknown>;
}

/**
 * Runs phases in order over their hosts (in parallel up to the concurrency limit), steps in order on each host.
 * One host failing or unreachable never stops the others; what depends on it is skipped with the reason.
 */
export async function runPhases(opts: RunOptions): Promise<Summary> {
  const { inv, phases, mode, reporter } = opts;
  const cleanups: (() => Promise<void>)[] = [];
  const cluster: ClusterContext = {
    inv,
    mode,
    transports: opts.transports,
    state: new Map(),
    settings: opts.settings,
    onClose: (c) => void cleanups.push(c),
    emit: (e) => emit(e),
    ...(opts.recorder ? { recorder: opts.recorder } : {}),
  };
  const states = new Map<string, HostState>(
    inv.spec.nodes.map((n) => [
      n.name,
      { tally: { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: false, reached: false }, runState: new Map<string, unknown>() },
    ]),
  );
  const state = (name: string): HostState => states.get(name)!;
  const emit = (e: RunEvent): void => {
    if (e.type === 'step') state(e.host).tally[e.outcome]++;
    reporter.event(e);
  };

  emit({
    type: 'run-start',
    mode,
    cluster: inv.metadata.name,
    phases: phases.map((p) => p.name),
    hosts: inv.spec.nodes.map((n) => n.name),
    logDir: opts.logDir,
  });

  const finish = async (error?: string): Promise<Summary> => {
    await Promise.allSettled(cleanups.map((c) => c()));
    const summary = summarize(states);
    const stopped = interrupted(opts.signal);
    if (stopped) summary.interrupted = stopped;
    if (error !== undefined) summary.error = error;
    emit(summary);
    return summary;
  };
  // an error escaping the phases (a bug: steps' own failures are caught per host) still ends with the recap
  await endWithSummary(() => runEach(phases, opts, state, cluster, emit), async (why) => void (await finish(why)));
  return finish();
}

/** The phases in order, each over its hosts. */
async function runEach(
  phases: readonly Phase[],
  opts: RunOptions,
  state: (name: string) => HostState,
  cluster: ClusterContext,
  emit: (e: RunEvent) => void,
): Promise<void> {
  const { inv } = opts;
  for (const phase of phases) {
    if (opts.signal?.aborted) break;
    const hosts = phase.hosts ? phase.hosts(inv) : [...inv.spec.nodes];
    const started = Date.now();
    emit({ type: 'phase-start', phase: phase.name, title: phase.title, hosts: hosts.map((h) => h.name) });

    await forEachLimit(hosts, opts.concurrency, async (node) => {
      const hs = state(node.name);
      const blockedBy = (phase.dependsOn?.(node, inv) ?? [])
        .filter((dep) => dep !== node.name && state(dep).blocked)
        .map((dep) => `${dep} ${state(dep).blocked}`);
      const reason = interrupted(opts.signal) ?? hs.blocked ?? (blockedBy.length ? `depends on ${blockedBy.join('; ')}` : undefined);
      if (reason) {
        for (const step of stepsFor(phase, node, inv)) {
          emit({ type: 'step', phase: phase.name, host: node.name, step: step.name, outcome: 'skipped', changes: [], durationMs: 0, reason });
        }
        return;
      }
      await runHost(phase, node, hs, cluster, opts, emit);
    });
    emit({ type: 'phase-end', phase: phase.name, durationMs: Date.now() - started });
  }
}

async function runHost(
  phase: Phase,
  node: InventoryNode,
  hs: HostState,
  cluster: ClusterContext,
  opts: RunOptions,
  emit: (e: RunEvent) => void,
): Promise<void> {
  const transport = opts.transports.get(node);
  const markUnreachable = (err: TransportError): void => {
    hs.blocked = 'is unreachable';
    hs.tally.unreachable = true;
    emit({ type: 'host-unreachable', phase: phase.name, host: node.name, error: err.message, hint: err.hint });
  };
  try {
    await raceAbort(transport.connect(), opts.signal, () => new TransportError('interrupted', node.name, interrupted(opts.signal)!));
  } catch (err) {
    if (err instanceof TransportError && err.kind === 'interrupted') {
      for (const step of stepsFor(phase, node, opts.inv)) {
        emit({ type: 'step', phase: phase.name, host: node.name, step: step.name, outcome: 'skipped', changes: [], durationMs: 0, reason: err.message });
      }
      return;
    }
    if (err instanceof TransportError) return markUnreachable(err);
    throw err;
  }
  hs.tally.reached = true;
  hs.facts ??= new FactCache(transport);
  const cache = hs.facts;
  const phaseHost = hostContext(cluster, node, transport, cache, hs.runState);

  for (const step of stepsFor(phase, node, opts.inv)) {
    const scoped = (stage: 'plan' | 'apply'): HostContext => {
      const scope = { phase: phase.name, step: step.name, stage };
      const recorder = cluster.recorder;
      return { ...phaseHost, scope, facts: recorder ? new RecordingFacts(cache, recorder, { node: node.name, ...scope }) : cache };
    };
    const host = scoped('plan');
    const base = { type: 'step' as const, phase: phase.name, host: node.name, step: step.name };
    const stop = interrupted(opts.signal);
    if (hs.blocked || stop) {
      emit({ ...base, outcome: 'skipped', changes: [], durationMs: 0, reason: stop ?? `${step.name}: host ${hs.blocked}` });
      continue;
    }
    const t0 = Date.now();
    try {
      const changes = await step.plan(host);
      if (opts.mode === 'apply') {
        const applying = scoped('apply');
        for (const change of changes) {
          await change.apply(applying);
          applying.facts.clear();
          clearRemoteFacts(cluster, node.name);
        }
        await step.verify?.(applying);
      }
      const outcome = changes.length ? 'changed' : 'ok';
      emit({ ...base, outcome, changes: changes.map((c) => c.description), durationMs: Date.now() - t0 });
    } catch (err) {
      if (err instanceof TransportError && err.kind === 'unreachable') {
        markUnreachable(err);
        continue;
      }
      const message = err instanceof Error ? err.message : String(err);
      const hint = err instanceof KubelabError ? err.hint : undefined;
      if (!(err instanceof KubelabError)) {
        // a bug, not a host problem: keep the stack for the log, never hide it
        emit({ ...base, outcome: 'failed', changes: [], durationMs: Date.now() - t0, error: (err as Error)?.stack ?? message });
      } else {
        emit({ ...base, outcome: 'failed', changes: [], durationMs: Date.now() - t0, error: message, hint });
      }
      hs.blocked = `failed at ${phase.name}/${step.name}`;
    }
  }
}

/** Why nothing more starts, once the run's signal is aborted. */
function interrupted(signal: AbortSignal | undefined): string | undefined {
  return signal?.aborted ? `interrupted (${abortReason(signal)})` : undefined;
}

/** The steps of a phase that concern this node. */
export function stepsFor(phase: Phase, node: InventoryNode, inv: Inventory): Step[] {
  return phase.steps.filter((s) => s.appliesTo?.(node, inv) ?? true);
}

export function hostContext(
  cluster: ClusterContext,
  node: InventoryNode,
  transport: Transport,
  facts: Facts,
  runState = new Map<string, unknown>(),
): HostContext {
  return {
    inv: cluster.inv,
    cluster,
    node,
    transport,
    facts,
    runState,
    async run(argv, opts: ExecOptions & { okCodes?: readonly number[] } = {}) {
      const result = await transport.exec(argv, opts);
      if (!(opts.okCodes ?? [0]).includes(result.code)) {
        const detail = tail(result.stderr || result.stdout);
        const message = `${argv.slice(0, 3).join(' ')} exited ${result.code}${detail ? `: ${detail}` : ''}`;
        throw new StepError(redact(message, opts.secrets));
      }
      return result;
    },
  };
}

function summarize(states: Map<string, HostState>): Summary {
  const summary: Summary = { type: 'summary', ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, hosts: {} };
  for (const [name, { tally }] of states) {
    summary.ok += tally.ok;
    summary.changed += tally.changed;
    summary.failed += tally.failed;
    summary.skipped += tally.skipped;
    summary.unreachable += tally.unreachable ? 1 : 0;
    summary.hosts[name] = { ...tally };
  }
  return summary;
}

export function succeeded(summary: Summary): boolean {
  return summary.failed === 0 && summary.unreachable === 0;
}
