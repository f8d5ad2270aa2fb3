/**
 * Errors a user can act on. Every failure that is the user's to fix (bad input, a missing tool, an unreachable
 * host, a refused download) reaches the entry point as a KubelabError: printed as "kubelab: message" plus the
 * hint, no stack trace, with its exit code (2: bad input found before anything changed; 1: a failure on the way).
 * This module is the lowest layer: every folder may import it.
 */
export class KubelabError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'KubelabError';
  }
}

/** A mistake in how kubelab was called or configured: exit code 2, reported before any host is changed. */
export class UsageError extends KubelabError {
  constructor(message: string, hint?: string) {
    super(message, hint, 2);
    this.name = 'UsageError';
  }
}
