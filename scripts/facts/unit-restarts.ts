/**
 * How often systemd restarted some units and how long each has been active, in one command: a unit in a restart
 * loop (kubelet with swap on exits a second after each start, RestartSec=10) is "active" about a tenth of the time,
 * so its ActiveState alone misses it.
 */
import type { Fact } from '../engine/types.js';

export interface UnitRestarts {
  /** NRestarts: restarts by systemd since the unit was last started by hand or at boot. */
  restarts: number;
  /** Seconds since it last became active (uptime - ActiveEnterTimestampMonotonic); undefined when never. */
  activeForSeconds?: number;
}

export function unitRestarts(units: readonly string[]): Fact<Map<string, UnitRestarts>> {
  return {
    key: `unit-restarts:${units.join(',')}`,
    argv: ['sh', '-c', 'systemctl show --property=Id,NRestarts,ActiveEnterTimestampMonotonic -- "$@"; cat /proc/uptime', 'sh', ...units],
    parse: (r) => parseUnitRestarts(r.stdout),
  };
}

export function parseUnitRestarts(stdout: string): Map<string, UnitRestarts> {
  const lines = stdout.trim().split('\n');
  const uptime = Number(/^(\d+(?:\.\d+)?) /.exec(lines[lines.length - 1] ?? '')?.[1]);
  const out = new Map<string, UnitRestarts>();
  for (const block of lines.slice(0, -1).join('\n').split(/\n\s*\n/)) {
    const v = new Map(block.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const id = v.get('Id');
    if (!id) continue;
    const entered = Number(v.get('ActiveEnterTimestampMonotonic') ?? 0);
    out.set(id.replace(/\.service$/, ''), {
      restarts: Number(v.get('NRestarts') ?? 0) || 0,
      ...(entered > 0 && Number.isFinite(uptime) ? { activeForSeconds: Math.max(0, uptime - entered / 1e6) } : {}),
    });
  }
  return out;
}
