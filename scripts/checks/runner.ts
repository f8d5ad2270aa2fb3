/**
 * Runs the selected checks one after the other. Checks that create objects get the kubelab-smoke namespace:
 * a leftover one (an interrupted run) is removed first, a fresh one created, and it is removed at the end
 * whatever happens (try/finally). A check that throws fails with the error as its detail; the others still run.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { abortReason } from '../util/abort.js';
import { StepError } from '../engine/errors.js';
import type { CheckEvent, CheckStartEvent, CheckSummary, RunRecorder, TransportPool } from '../engine/types.js';
import type { Inventory } from '../inventory/types.js';
import { TransportError } from '../transport/types.js';
import { addonEnabled } from './addons.js';
import { ApiError } from '../k8s/api.js';
import type { ClusterApi } from '../k8s/cluster-api.js';
import { NAMESPACE_LABELS } from './smoke-pods.js';
import { checkSettings, type Check, type CheckContext, type CheckResult, type CheckSettings } from './types.js';

export const SMOKE_NAMESPACE = 'kubelab-smoke';

export interface RunChecksOptions {
  inv: Inventory;
  api: ClusterApi;
  transports: TransportPool;
  checks: readonly Check[];
  settings?: Partial<CheckSettings>;
  runId?: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Receives a check-start event before each check that runs and a check event per result. */
  emit?: (e: CheckStartEvent | CheckEvent) => void;
  /** The run's interrupt: once aborted, the waits end and the checks not started yet are skipped. */
  signal?: AbortSignal;
  /** Record mode: the checks' SSH answers and their run id go to the recording (their API answers: recordingApi). */
  recorder?: Pick<RunRecorder, 'recordSsh' | 'checkRun'>;
}

export interface NamespaceCleanup {
  namespace: string;
  /** The checks needed the namespace (so it was created, or creating it was tried). */
  used: boolean;
  /** Gone at the end (true when unused). */
  removed: boolean;
  error?: string;
}

export interface CheckRun {
  results: CheckResult[];
  cleanup: NamespaceCleanup;
}


function describeError(err: unknown): { detail: string; diagnosis?: string } {
  if (err instanceof StepError) return { detail: `error: ${err.message}`, ...(err.hint ? { diagnosis: err.hint } : {}) };
  if (err instanceof TransportError) return { detail: `${err.host}: ${err.message}`, ...(err.hint ? { diagnosis: err.hint } : {}) };
  if (err instanceof ApiError) return { detail: `API error${err.status ? ` ${err.status}` : ''}: ${err.message}`, ...(err.hint ? { diagnosis: err.hint } : {}) };
  return { detail: `error: ${err instanceof Error ? err.message : String(err)}` };
}

/** Polls `ready` until it holds (true) or namespaceTimeoutMs has passed (false), on the run's clock. */
async function namespaceWait(ctx: CheckContext, ready: () => Promise<boolean>): Promise<boolean> {
  const deadline = ctx.now() + ctx.settings.namespaceTimeoutMs;
  for (;;) {
    if (await ready()) return true;
    if (ctx.now() >= deadline) return false;
    await ctx.sleep(ctx.settings.pollMs);
  }
}

/**
 * Waits until the namespace's "default" ServiceAccount exists: kube-controller-manager creates it after the
 * namespace, and until then every pod is refused (403 "error looking up service account"). False at the timeout.
 */
const waitDefaultServiceAccount = (ctx: CheckContext): Promise<boolean> =>
  namespaceWait(ctx, () => ctx.api.serviceAccountExists(ctx.namespace, 'default'));

/**
 * Why the namespace's deletion cannot finish, from its conditions: the namespace controller must list every API
 * group, and an aggregated API that does not answer (metrics-server unreachable over a broken pod network) keeps
 * it Terminating until that API is back. Undefined while nothing blocks it (a content deletion failure may clear
 * on the controller's next pass: that one is waited for).
 */
async function deletionBlocked(ctx: CheckContext): Promise<string | undefined> {
  const ns = await ctx.api.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ctx.namespace } });
  const conditions = ((ns?.status as { conditions?: { type?: string; status?: string; message?: string }[] } | undefined)?.conditions ?? []);
  const c = conditions.find((x) => x.status === 'True' && /^NamespaceDeletion(Discovery|GroupVersionParsing)Failure$/.test(x.type ?? ''));
  return c ? `${c.type}: ${c.message ?? ''}`.trim() : undefined;
}

/** Waits until the namespace is gone; not gone at the timeout, or at once when its deletion is blocked (with why). */
async function waitGone(ctx: CheckContext): Promise<{ gone: boolean; blocked?: string }> {
  let blocked: string | undefined;
  const gone = await namespaceWait(ctx, async () => {
    if (!(await ctx.api.namespaceExists(ctx.namespace))) return true;
    blocked = await deletionBlocked(ctx);
    return blocked !== undefined;
  });
  return blocked ? { gone: false, blocked } : { gone };
}

const BLOCKED_HINT = 'an API group it must list does not answer (see the metrics check; kubectl get apiservices)';

export async function runChecks(opts: RunChecksOptions): Promise<CheckRun> {
  const ctx: CheckContext = {
    inv: opts.inv,
    api: opts.api,
    transports: opts.recorder ? opts.recorder.recordSsh(opts.transports) : opts.transports,
    namespace: SMOKE_NAMESPACE,
    runId: opts.runId ?? randomBytes(6).toString('hex'),
    settings: { ...checkSettings(opts.inv), ...opts.settings },
    now: opts.now ?? Date.now,
    sleep: opts.sleep ?? ((ms) => delay(ms, undefined, { signal: opts.signal })),
  };
  opts.recorder?.checkRun(ctx.runId);
  const skipReason = (c: Check): string | undefined =>
    c.addon && !addonEnabled(ctx.inv, c.addon) ? `addon ${c.addon} is not enabled in the inventory (spec.addons.${c.addon}.enabled)` : undefined;
  const used = opts.checks.some((c) => c.usesNamespace && !skipReason(c));
  const cleanup: NamespaceCleanup = { namespace: ctx.namespace, used, removed: !used };
  const results: CheckResult[] = [];
  const report = (r: CheckResult): void => {
    results.push(r);
    opts.emit?.({ type: 'check', ...r });
  };

  let setupError: string | undefined;
  try {
    if (used) {
      try {
        if (await ctx.api.namespaceExists(ctx.namespace)) {
          await ctx.api.deleteNamespace(ctx.namespace);
          const w = await waitGone(ctx);
          if (w.blocked) setupError = `a leftover namespace ${ctx.namespace} cannot be removed: ${w.blocked}: ${BLOCKED_HINT}`;
          else if (!w.gone) setupError = `a leftover namespace ${ctx.namespace} is still terminating after ${Math.round(ctx.settings.namespaceTimeoutMs / 1000)} s`;
        }
        if (!setupError) {
          await ctx.api.createNamespace(ctx.namespace, { ...NAMESPACE_LABELS });
          if (!(await waitDefaultServiceAccount(ctx))) {
            setupError = `its ServiceAccount "default" did not appear within ${Math.round(ctx.settings.namespaceTimeoutMs / 1000)} s (kube-controller-manager creates it: is it running? kubectl -n kube-system get pods)`;
          }
        }
      } catch (err) {
        setupError = `cannot prepare namespace ${ctx.namespace}: ${describeError(err).detail}`;
      }
    }
    for (const check of opts.checks) {
      const skip = opts.signal?.aborted ? `interrupted (${abortReason(opts.signal)})` : skipReason(check);
      if (skip) {
        report({ name: check.name, status: 'skipped', ok: true, durationMs: 0, detail: skip });
        continue;
      }
      opts.emit?.({ type: 'check-start', name: check.name, title: check.title, total: opts.checks.length });
      const start = ctx.now();
      if (check.usesNamespace && setupError) {
        report({ name: check.name, status: 'failed', ok: false, durationMs: 0, detail: setupError, diagnosis: `namespace ${ctx.namespace} could not be prepared` });
        continue;
      }
      let outcome: { ok: boolean; detail: string; diagnosis?: string };
      try {
        outcome = await check.run(ctx);
      } catch (err) {
        outcome = { ok: false, ...describeError(err) };
      }
      report({
        name: check.name,
        status: outcome.ok ? 'passed' : 'failed',
        ok: outcome.ok,
        durationMs: Math.max(0, Math.round(ctx.now() - start)),
        detail: outcome.detail,
        ...(!outcome.ok && outcome.diagnosis ? { diagnosis: outcome.diagnosis } : {}),
      });
    }
  } finally {
    if (used) {
      try {
        await ctx.api.deleteNamespace(ctx.namespace);
        const w = await waitGone(ctx);
        cleanup.removed = w.gone;
        if (w.blocked) cleanup.error = `its deletion is blocked: ${w.blocked}: ${BLOCKED_HINT}; it goes once that API answers`;
        else if (!w.gone) cleanup.error = `still terminating after ${Math.round(ctx.settings.namespaceTimeoutMs / 1000)} s (the next run removes it)`;
      } catch (err) {
        cleanup.error = describeError(err).detail;
      }
    }
  }
  return { results, cleanup };
}

export function summarize(results: readonly CheckResult[]): CheckSummary {
  return {
    type: 'summary',
    passed: results.filter((r) => r.status === 'passed').length,
    failed: results.filter((r) => r.status === 'failed').length,
    skipped: results.filter((r) => r.status === 'skipped').length,
  };
}
