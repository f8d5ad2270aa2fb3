/**
 * Interrupts (Ctrl-C, SIGTERM) reach the code as an AbortSignal passed down explicitly (CliContext.signal); the
 * entry point aborts it with the signal's name as the reason (e.g. "SIGINT").
 */

/** Why the signal was aborted, for messages: the signal name the entry point gave, or "aborted". */
export function abortReason(signal: AbortSignal): string {
  return typeof signal.reason === 'string' ? signal.reason : 'aborted';
}

/**
 * Settles like `work`, or rejects with `onAbort()` as soon as `signal` aborts: for waits that cannot be cancelled
 * themselves (an SSH handshake with a silent host); `work` goes on unobserved.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined, onAbort: () => Error): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(onAbort());
  }
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(err);
      },
    );
  });
}
