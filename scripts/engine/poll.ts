/** A deadline-bound polling loop: the waits on the API server and on nodes share it. */

/** One look at what is awaited: done, or what was seen instead (the timeout's message carries the last). */
export interface PollStatus {
  done: boolean;
  detail: string;
}

export interface PollOptions {
  timeoutMs: number;
  intervalMs: number;
  /** The detail of a check that threw (an error counts as "not yet"; throw here to end the wait). Default: its message. */
  onError?: (err: unknown) => string;
  /** The error thrown once the time is up, from the last detail seen. */
  timeout: (last: string) => Error;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `check` until it reports done, at most every intervalMs, for at most timeoutMs. */
export async function pollUntil(check: () => Promise<PollStatus>, opts: PollOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = 'not checked yet';
  for (;;) {
    try {
      const status = await check();
      if (status.done) return;
      last = status.detail;
    } catch (err) {
      last = opts.onError ? opts.onError(err) : (err as Error).message;
    }
    const left = deadline - Date.now();
    if (left <= 0) throw opts.timeout(last);
    await sleep(Math.min(opts.intervalMs, left));
  }
}
