/**
 * API requests that fail for a moment: under load (an emulated lab, a control plane just started) the API server
 * answers "etcdserver: request timed out" (HTTP 500, or inside a 422 when a Service's IP could not be allocated), 503
 * while it starts, 504 or 429, or the connection drops.
 * Idempotent requests (reads, server-side apply) are tried again a few times before the failure counts.
 */
import { httpStatus, apiMessage } from './apply.js';

const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);
/** etcd's own trouble, also when the API server wraps it in a 4xx (a Service create answered 422 "failed to allocate IP: etcdserver: request timed out"). */
const ETCD_MOMENT = /etcdserver: (request timed out|leader changed|too many requests)/i;
const TRANSIENT_MESSAGE = /etcdserver: (request timed out|leader changed|too many requests)|the server was unable to return a response|Timeout: request did not complete|context deadline exceeded|ECONNRESET|ECONNREFUSED|socket hang up/i;

/** True for an error that is worth one more try of the same idempotent request. */
export function isTransient(err: unknown): boolean {
  const status = httpStatus(err);
  if (status !== undefined && TRANSIENT_STATUS.has(status)) return true;
  if (status !== undefined && status < 500) return ETCD_MOMENT.test(apiMessage(err));
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
