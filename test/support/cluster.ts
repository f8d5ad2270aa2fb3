import type { ClusterContext, RunEvent, RunMode, RunSettings, TransportPool } from '../../scripts/engine/types.js';
import type { Inventory } from '../../scripts/inventory/types.js';

/** Run settings for tests: downloads allowed, the default cache folder, no seeds (override per test). */
export const TEST_SETTINGS: RunSettings = { offline: false, manifestCacheDir: '.kubelab/cache/manifests', manifestSeedDirs: [], artifactCacheDir: '.kubelab/cache/artifacts' };

/** A ClusterContext for tests; cleanups registered with onClose are kept in `cleanups`, emitted events in `events`. */
export function testCluster(
  inv: Inventory,
  mode: RunMode,
  transports: TransportPool,
  state = new Map<string, unknown>(),
  settings: Partial<RunSettings> = {},
): ClusterContext & { cleanups: (() => Promise<void>)[]; events: RunEvent[] } {
  const cleanups: (() => Promise<void>)[] = [];
  const events: RunEvent[] = [];
  return { inv, mode, transports, state, settings: { ...TEST_SETTINGS, ...settings }, onClose: (c) => void cleanups.push(c), emit: (e) => void events.push(e), cleanups, events };
}
