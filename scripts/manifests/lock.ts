import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parse } from 'yaml';
import { StepError } from '../engine/errors.js';

/**
 * One pinned upstream file (manifests/lock.yaml). `path` is where the file sits in a seed dir:
 * `<id>/<version>/<path in the upstream repository at that ref>`, the layout of ../shared/upstream.
 */
export interface LockEntry {
  /** The set it belongs to, e.g. "flannel", "kube-prometheus". */
  readonly id: string;
  /** Upstream tag or (short) commit. */
  readonly version: string;
  readonly path: string;
  readonly url: string;
  /** Lower-case hex sha256 of the exact bytes. */
  readonly sha256: string;
  /** 'setup' files (CRDs, namespaces) are applied and waited for before the 'main' files of the set. */
  readonly stage: 'setup' | 'main';
  /** Why `url` may not serve these exact bytes (shown with fetch errors). */
  readonly note?: string;
}

/** The lock file: sets of files, each set in apply order. */
export interface ManifestLock {
  readonly sets: ReadonlyMap<string, readonly LockEntry[]>;
}

const safePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\\'), 'must be a relative path');

const lockSchema = z.strictObject({
  lockVersion: z.literal(1),
  sets: z.array(
    z.strictObject({
      id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
      version: z.string().min(1),
      files: z
        .array(
          z.strictObject({
            path: safePath,
            url: z.url({ protocol: /^https$/ }),
            sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits'),
            stage: z.enum(['setup', 'main']).optional(),
            note: z.string().optional(),
          }),
        )
        .min(1),
    }),
  ),
});

/** manifests/lock.yaml of this checkout (this module runs as dist/scripts/manifests/lock.js). */
export function defaultLockPath(): string {
  return fileURLToPath(new URL('../../../manifests/lock.yaml', import.meta.url));
}

/** Parses and checks lock file text (duplicate set ids or paths are errors). */
export function parseLock(text: string, source = 'manifests/lock.yaml'): ManifestLock {
  const result = lockSchema.safeParse(parse(text));
  if (!result.success) {
    const first = result.error.issues[0];
    throw new StepError(`${source}: ${first ? `${first.path.join('.')}: ${first.message}` : 'invalid'}`);
  }
  const sets = new Map<string, LockEntry[]>();
  const paths = new Set<string>();
  for (const s of result.data.sets) {
    if (sets.has(s.id)) throw new StepError(`${source}: set ${s.id} is listed twice`);
    const entries = s.files.map((f): LockEntry => {
      if (paths.has(f.path)) throw new StepError(`${source}: ${f.path} is listed twice`);
      paths.add(f.path);
      return {
        id: s.id,
        version: s.version,
        path: f.path,
        url: f.url,
        sha256: f.sha256,
        stage: f.stage ?? 'main',
        ...(f.note === undefined ? {} : { note: f.note }),
      };
    });
    // setup files first, whatever the order in the file
    sets.set(s.id, [...entries.filter((e) => e.stage === 'setup'), ...entries.filter((e) => e.stage === 'main')]);
  }
  return { sets };
}

export async function loadLock(file = defaultLockPath()): Promise<ManifestLock> {
  return parseLock(await readFile(file, 'utf8'), file);
}

/** The files of one set in apply order (setup stage first); an unknown id is an error naming the known ones. */
export function lockedFiles(lock: ManifestLock, id: string): readonly LockEntry[] {
  const files = lock.sets.get(id);
  if (!files) throw new StepError(`no pinned manifests named ${id}`, `known: ${[...lock.sets.keys()].join(', ')}`);
  return files;
}
