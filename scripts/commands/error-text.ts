import { InventoryError } from '../inventory/errors.js';
import { TransportError } from '../transport/types.js';
import { KubelabError } from '../util/errors.js';
import { printable } from '../util/terminal-text.js';

/**
 * What the user is told about an error a command threw, and the exit code it means: inventory problems (2) one per
 * line; kubelab's own errors (UsageError 2, StepError and TransportError 1, the latter prefixed with its host) with
 * their hint. Undefined for anything else (a bug: the caller reports it as an internal error).
 */
export function describeError(err: unknown): { text: string; exitCode: number } | undefined {
  if (err instanceof InventoryError) return { text: `${err.format()}\n`, exitCode: 2 };
  if (err instanceof KubelabError) {
    const where = err instanceof TransportError ? `${err.host}: ` : '';
    return { text: printable(`kubelab: ${where}${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}\n`), exitCode: err.exitCode };
  }
  return undefined;
}
