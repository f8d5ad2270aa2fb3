/**
 * API requests that fail for a moment: under load (an emulated lab, a control plane just started) the API server
 * answers "etcdserver: request timed out" (HTTP 500, or inside a 422 when a Service's IP could not be allocated), 503
 * while it starts, 504 or 429, or the connection drops.
 * Idempotent requests (reads, server-side apply) are tried again a few times before the failure counts.
 */
import { httpStatus, apiMessage } from './apply.js';
import { REQUEST_DEADLINE_CODE } from './request-deadline.js';

const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);
/**
 * etcd's or the API server's own trouble, also when the API server wraps it in a 4xx: a Service create answered 422
 * "failed to allocate IP: etcdserver: request timed out", and a PVC create 403 "persistentvolumeclaims "data" is
 * forbidden: the server was unable to return a response in the time allotted, but may still be processing the
 * request (get limitranges)" (an admission plugin's read timed out; both on the emulated e2e lab).
 */
const ETCD_MOMENT = /etcdserver: (request timed out|leader changed|too many requests)/i;
/** The API server ran out of time for a read it needed (also inside a 403: not a permission problem). */
export const SERVER_TIMED_OUT = /the server was unable to return a response in the time allotted/i;
/**
 * An API server that has just started and not yet loaded its RBAC roles: every request is forbidden, the message
 * naming its own bootstrap role cluster-admin as not found (the API server puts that role back at every start).
 * Seen on the e2e lab a few minutes after both VMs rebooted: `namespaces "kubelab-smoke" is forbidden: User
 * "kubernetes-admin" cannot delete resource ...: RBAC: [clusterrole.rbac.authorization.k8s.io "cluster-admin" not
 * found, ...]`.
 */
const RBAC_NOT_LOADED = /RBAC: \[?clusterrole\.rbac\.authorization\.k8s\.io "cluster-admin" not found/;
const SERVER_MOMENT = new RegExp(`${ETCD_MOMENT.source}|${SERVER_TIMED_OUT.source}|${RBAC_NOT_LOADED.source}`, 'i');
const TRANSIENT_MESSAGE = new RegExp(`${SERVER_MOMENT.source}|Timeout: request did not complete|context deadline exceeded|ECONNRESET|ECONNREFUSED|socket hang up`, 'i');
/**
 * A connection that dropped or an answer that never came, as undici (client-node's fetch) reports them: a TypeError
 * "fetch failed" whose `cause` carries the code. Seen on the emulated lab: a pod create held by an overloaded API
 * server until undici's 300 s headers timeout; kubelab's own request deadline (request-deadline.ts) is the same. A
 * name that does not resolve, a certificate refused, or a spent request budget is not one.
 */
const TRANSIENT_CODES = new Set([REQUEST_DEADLINE_CODE, 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED']);

/** The error and its causes (err.cause, its cause, ...), at most 5 deep. */
function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = err; e && out.length < 5; e = (e as { cause?: unknown }).cause) out.push(e);
  return out;
}

/** True for an error that is worth one more try of the same idempotent request. */
export function isTransient(err: unknown): boolean {
  const status = httpStatus(err);
  if (status !== undefined && TRANSIENT_STATUS.has(status)) return true;
  if (status !== undefined && status < 500) return SERVER_MOMENT.test(apiMessage(err));
  if (causes(err).some((e) => TRANSIENT_CODES.has(String((e as { code?: unknown }).code)))) return true;
  return TRANSIENT_MESSAGE.test(apiMessage(err)) || TRANSIENT_MESSAGE.test(String((err as Error)?.message ?? ''));
}

export interface RetryOptions {
  /** Tries in all (default 5). */
  attempts?: number;
  /** Wait before try n+1: n x baseDelayMs (default 3000: 3, 6, 9, 12 s). */
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** `fn` until it succeeds, tried again after a transient error (isTransient) up to `attempts` times in all. */
export async function retryTransient<T>(fn: () => Promise<T>, o: RetryOptions = {}): Promise<T> {
  const attempts = o.attempts ?? 5;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let n = 1; ; n++) {
    try {
      return await fn();
    } catch (err) {
      if (n >= attempts || !isTransient(err)) throw err;
      await sleep(n * (o.baseDelayMs ?? 3000));
    }
  }
}
