import { UsageError } from './errors.js';

/** Something selectable by `--only`: its name, and optionally a group name that selects it too. */
export interface Named {
  readonly name: string;
  readonly group?: string;
}

/**
 * The items `--only a,b` selects, in their own order (all of them when `only` is empty); a name matches an item's
 * name or group. Unknown names are a UsageError naming the valid ones, e.g. "--only: unknown check dsn (checks: ...)".
 */
export function selectByName<T extends Named>(all: readonly T[], only: readonly string[] | undefined, what: string): T[] {
  if (!only?.length) return [...all];
  const known = [...new Set(all.flatMap((t) => [t.name, t.group ?? t.name]))];
  const unknown = only.filter((n) => !known.includes(n));
  if (unknown.length) throw new UsageError(`--only: unknown ${what} ${unknown.join(', ')} (${what}s: ${known.join(', ')})`);
  return all.filter((t) => only.includes(t.name) || (t.group !== undefined && only.includes(t.group)));
}
