import type { Change, HostContext } from '../engine/types.js';
import { unitState } from '../facts/systemd.js';

/** Changes so that a unit is enabled at boot and running now. */
export async function serviceChanges(host: HostContext, unit: string): Promise<Change[]> {
  const s = await host.facts.get(unitState(unit));
  const changes: Change[] = [];
  if (s.enabled !== 'enabled' && s.enabled !== 'static' && s.enabled !== 'alias') {
    changes.push({ description: `enable ${unit}`, apply: async (h) => void (await h.run(['systemctl', 'enable', '--', unit])) });
  }
  if (s.active !== 'active') {
    changes.push({ description: `start ${unit}`, apply: async (h) => void (await h.run(['systemctl', 'start', '--', unit])) });
  }
  return changes;
}

/** A change that restarts a unit (after its config file was rewritten). */
export function restartChange(unit: string): Change {
  return { description: `restart ${unit}`, apply: async (h) => void (await h.run(['systemctl', 'restart', '--', unit])) };
}
