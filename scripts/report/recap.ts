import type { Summary } from '../engine/types.js';

/** The end-of-run table: one row per host, then the totals. REACHED: yes, no (unreachable), - (never tried). */
export function recapTable(summary: Summary): string {
  const header = ['HOST', 'OK', 'CHANGED', 'FAILED', 'SKIPPED', 'REACHED'];
  const rows = Object.entries(summary.hosts).map(([name, t]) => [
    name,
    String(t.ok),
    String(t.changed),
    String(t.failed),
    String(t.skipped),
    t.unreachable ? 'no' : t.reached ? 'yes' : '-',
  ]);
  rows.push([
    'total',
    String(summary.ok),
    String(summary.changed),
    String(summary.failed),
    String(summary.skipped),
    `${Object.values(summary.hosts).filter((t) => t.reached).length}/${Object.keys(summary.hosts).length}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const table = [line(header), ...rows.map(line)];
  if (summary.interrupted) table.push(`${summary.interrupted}: the steps after it were not started`);
  if (summary.error !== undefined) table.push(`stopped by an error: ${summary.error}`);
  return table.join('\n');
}
