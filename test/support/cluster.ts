import { DEFAULT_SETTINGS } from '../../scripts/engine/run.js';
import type { ClusterContext, RunMode, RunSettings, TransportPool } from '../../scripts/engine/types.js';
import type { Inventory } from '../../scripts/inventory/types.js';

/** A ClusterContext for tests; cleanups registered with onClose are kept in `cleanups`. */
export function testCluster(
  inv: Inventory,
  mode: RunMode,
  transports: TransportPool,
  state = new Map<string, unknown>(),
  settings: Partial<RunSettings> = {},
): ClusterContext & { cleanups: (() => Promise<void>)[] } {
  const cleanups: (() => Promise<void>)[] = [];
  return { inv, mode, transports, state, settings: { ...DEFAULT_SETTINGS, ...settings }, onClose: (c) => void cleanups.push(c), cleanups };
}
