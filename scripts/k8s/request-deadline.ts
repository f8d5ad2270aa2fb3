/**
 * Deadlines for client-node's requests. Without them a request waits for undici's own timeouts (300 s for the
 * headers), and since such a timeout counts as transient (transient.ts) one read tried 5 times could wait 25
 * minutes: `heal`'s closing doctor sat idle for 14 minutes that way on the emulated lab, while etcd took 4-5 s per
 * read and the API server answered "http: Handler timeout". A request deadline ends one request (a transient
 * error: tried again as the retry options allow); a budget bounds every request of one ClusterApi together
 * (once spent, each request fails at once, and is not tried again).
 */
import type { KubeConfig } from '@kubernetes/client-node';

export interface RequestDeadlines {
  /** Abandon a request that has not been answered (headers and body) within this many ms. */
  requestTimeoutMs?: number;
  /** All requests together, from when the deadlines were made: once spent, a request fails at once. */
  budgetMs?: number;
}

/** The code of a request abandoned at its deadline (transient.ts tries it again). */
export const REQUEST_DEADLINE_CODE = 'KUBELAB_REQUEST_DEADLINE';

/** A request abandoned at its deadline: no answer in time, which another try may get (isTransient). */
export class RequestDeadlineError extends Error {
  readonly code = REQUEST_DEADLINE_CODE;
  constructor(ms: number) {
    super(`no answer within ${seconds(ms)}`);
    this.name = 'RequestDeadlineError';
  }
}

/** The budget of every request is spent: not transient, the caller reports what it could not read. */
export class RequestBudgetError extends Error {
  readonly code = 'KUBELAB_REQUEST_BUDGET';
  constructor(ms: number) {
    super(`the API server's answers took more than ${seconds(ms)} in all; no more requests were made`);
    this.name = 'RequestBudgetError';
  }
}

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(ms < 1000 ? 2 : 0))} s`;

/** An AbortSignal that aborts with `reason()` after `ms`, without keeping the process alive. */
function timeoutSignal(ms: number, reason: () => Error): { signal: AbortSignal; clear(): void } {
  const c = new AbortController();
  const timer = setTimeout(() => c.abort(reason()), ms);
  timer.unref();
  return { signal: c.signal, clear: () => clearTimeout(timer) };
}

/** The minimal slice of client-node's RequestContext that a deadline needs. */
interface SignalContext {
  setSignal(signal: AbortSignal): void;
}

/**
 * `kc` whose API clients (kc.makeApiClient, KubernetesObjectApi.makeApiClient) give every request the deadlines:
 * client-node sends a request with the signal its authentication set. `kc` itself is left as it is; `dispose` stops
 * the budget's timer.
 */
export function withDeadlines(kc: KubeConfig, d: RequestDeadlines): { kc: KubeConfig; dispose(): void } {
  const { requestTimeoutMs, budgetMs } = d;
  if (requestTimeoutMs === undefined && budgetMs === undefined) return { kc, dispose: () => undefined };
  const budget = budgetMs !== undefined ? timeoutSignal(budgetMs, () => new RequestBudgetError(budgetMs)) : undefined;
  // a derived object: makeApiClient registers `this` as the clients' authentication, so the override is what they call
  const derived = Object.create(kc) as KubeConfig;
  derived.applySecurityAuthentication = async (context: Parameters<KubeConfig['applySecurityAuthentication']>[0]): Promise<void> => {
    await kc.applySecurityAuthentication(context);
    const signals = [
      ...(budget ? [budget.signal] : []),
      ...(requestTimeoutMs !== undefined ? [timeoutSignal(requestTimeoutMs, () => new RequestDeadlineError(requestTimeoutMs)).signal] : []),
    ];
    (context as SignalContext).setSignal(signals.length === 1 ? signals[0]! : AbortSignal.any(signals));
  };
  return { kc: derived, dispose: () => budget?.clear() };
}
