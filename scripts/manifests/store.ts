import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StepError } from '../engine/errors.js';
import type { OnDownload } from '../util/download-notice.js';
import type { LockEntry } from './lock.js';
import { parseManifests, type K8sObject } from './yaml.js';

/**
 * Where pinned upstream files come from, in this order:
 *  1. the cache: `<cacheDir>/<sha256>` (content-addressed, so one cache can serve every cluster and version);
 *     a cached file whose sum is wrong is deleted and fetched again, never used;
 *  2. seed dirs: read-only pre-filled trees laid out like ../shared/upstream, the file being
 *     `<seed>/<entry.path>` = `<seed>/<id>/<version>/<path in the upstream repo at that ref>`
 *     (KUBELAB_MANIFEST_SEED, several separated by ':'); a seed file with the wrong sum is an error;
 *  3. a download of `entry.url` over HTTPS (not in offline mode); the wrong sum is an error.
 * Files from 2 and 3 are written to the cache atomically (temp file + rename).
 *
 * The cache dir is the caller's choice: `.kubelab/<cluster>/cache/manifests` under the cluster's state dir, or the
 * shared manifestCacheDir() (KUBELAB_MANIFEST_CACHE, default .kubelab/cache/manifests).
 */
export interface FetchManifestOptions {
  cacheDir: string;
  /** Never touch the network: a file in neither cache nor seed is an error saying how to provide it. */
  offline: boolean;
  /** Folders laid out like ../shared/upstream, read before downloading (Settings.manifestSeedDirs). */
  seedDirs: readonly string[];
  /** Injected in tests; default the global fetch. */
  fetch?: typeof fetch;
  /** Download timeout (default 60 s). */
  timeoutMs?: number;
  /** Told before a file is downloaded. */
  onDownload?: OnDownload;
}

/** The pinned file did not come out as pinned (wrong sum, missing offline, download failed). */
export class ManifestError extends StepError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = 'ManifestError';
  }
}

export type ManifestRef = Pick<LockEntry, 'path' | 'url' | 'sha256'> & { readonly note?: string };

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The file's bytes, or undefined when it does not exist. */
export async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
      return undefined;
    }
    throw e;
  }
}

function mismatch(entry: ManifestRef, from: string, actual: string): ManifestError {
  return new ManifestError(
    `sha256 mismatch for ${entry.url} (${from}): expected ${entry.sha256}, got ${actual}`,
    entry.note ?? 'the file is not the pinned one: fix or delete it (manifests/lock.yaml is the authority)',
  );
}

/** Writes a file atomically (temp file beside it + rename), creating its folder. */
export async function writeFileAtomic(file: string, bytes: Uint8Array, mode = 0o644): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, bytes, { mode });
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

async function writeCache(cacheDir: string, sha256: string, bytes: Uint8Array): Promise<void> {
  await writeFileAtomic(join(cacheDir, sha256), bytes);
}

async function download(entry: ManifestRef, opts: FetchManifestOptions): Promise<Buffer> {
  if (!entry.url.startsWith('https://')) throw new ManifestError(`refusing to download ${entry.url}: not HTTPS`);
  const doFetch = opts.fetch ?? fetch;
  opts.onDownload?.({ what: entry.path, url: entry.url, into: join(opts.cacheDir, entry.sha256) });
  let res: Response;
  try {
    res = await doFetch(entry.url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000), redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
    throw new ManifestError(
      `cannot download ${entry.path} from ${entry.url}: ${cause}`,
      `without network, put the file at ${join(opts.cacheDir, entry.sha256)} or in a seed dir (KUBELAB_MANIFEST_SEED)`,
    );
  }
  if (!res.ok) throw new ManifestError(`cannot download ${entry.url}: HTTP ${res.status} ${res.statusText}`.trim());
  return Buffer.from(await res.arrayBuffer());
}

/** The bytes of a pinned file, verified against its sha256 (see FetchManifestOptions for the sources). */
export async function fetchManifest(entry: ManifestRef, opts: FetchManifestOptions): Promise<Buffer> {
  const cached = join(opts.cacheDir, entry.sha256);
  const fromCache = await readIfExists(cached);
  if (fromCache) {
    if (sha256Hex(fromCache) === entry.sha256) return fromCache;
    await rm(cached, { force: true });
  }

  for (const seed of opts.seedDirs) {
    const file = join(seed, entry.path);
    const bytes = await readIfExists(file);
    if (!bytes) continue;
    const actual = sha256Hex(bytes);
    if (actual !== entry.sha256) throw mismatch(entry, `seed file ${file}`, actual);
    await writeCache(opts.cacheDir, entry.sha256, bytes);
    return bytes;
  }

  if (opts.offline) {
    throw new ManifestError(
      `offline: ${entry.path} is not in the manifest cache ${opts.cacheDir}` +
        (opts.seedDirs.length ? ` nor in the seed dirs ${opts.seedDirs.join(', ')}` : ''),
      `download ${entry.url} (sha256 ${entry.sha256}) and save it as ${cached}, ` +
        `or point KUBELAB_MANIFEST_SEED at a dir holding ${entry.path}` +
        (entry.note ? ` (${entry.note})` : ''),
    );
  }

  const bytes = await download(entry, opts);
  const actual = sha256Hex(bytes);
  if (actual !== entry.sha256) throw mismatch(entry, 'download', actual);
  await writeCache(opts.cacheDir, entry.sha256, bytes);
  return bytes;
}

/** A pinned file parsed into objects (empty documents skipped). */
export async function fetchManifestObjects(entry: ManifestRef, opts: FetchManifestOptions): Promise<K8sObject[]> {
  return parseManifests((await fetchManifest(entry, opts)).toString('utf8'), entry.path);
}
