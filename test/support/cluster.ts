import { DEFAULT_SETTINGS } from '../../scripts/engine/run.js';
import type { ClusterContext, RunEvent, RunMode, RunSettings, TransportPool } from '../../scripts/engine/types.js';
import type { Inventory } from '../../scripts/inventory/types.js';

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
  return { inv, mode, transports, state, settings: { ...DEFAULT_SETTINGS, ...settings }, onClose: (c) => void cleanups.push(c), emit: (e) => void events.push(e), cleanups, events };
}
