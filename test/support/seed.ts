import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSettings } from '../../scripts/commands/settings.js';
import type { RunSettings } from '../../scripts/engine/types.js';

/** The repository root (this file runs as dist/test/support/seed.js). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The pre-filled manifest tree the tests read pinned upstream files from: the first KUBELAB_MANIFEST_SEED dir,
 * else ../shared/upstream beside the checkout (CI runs with ../shared beside the clone). Undefined when absent.
 */
export function testSeedDir(): string | undefined {
  const dir = readSettings(process.env).manifestSeedDirs[0] ?? resolve(ROOT, '..', 'shared', 'upstream');
  return existsSync(dir) ? dir : undefined;
}

export const NO_SEED =
  'no seed dir with the pinned upstream files (set KUBELAB_MANIFEST_SEED or put ../shared/upstream beside the checkout)';

let cacheDir: string | undefined;

/** Offline settings reading the pinned files from the seed dir (never the network), cached in a temp dir. */
export function seedSettings(): Partial<RunSettings> {
  if (!cacheDir) {
    const dir = (cacheDir = mkdtempSync(join(tmpdir(), 'kubelab-manifest-cache-')));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const seed = testSeedDir();
  return { offline: true, manifestSeedDirs: seed ? [seed] : [], manifestCacheDir: cacheDir };
}
