/**
 * `kubelab heal`'s plan from the doctor's findings: the `up` phases every repair needs (one run, in phase order),
 * the commands on their nodes (each once, in the order found), the phases that follow them, and the findings heal
 * leaves to the reader (no repair: an address change, a rejoin, the clock, disk space). Pure: no host is touched.
 */
import type { Finding } from '../doctor/types.js';

export interface HealCommand {
  node: string;
  argv: string[];
  /** The finding codes it repairs. */
  for: string[];
}

export interface HealPlan {
  phases: string[];
  commands: HealCommand[];
  thenPhases: string[];
  /** Findings heal does not repair (their fix is for the reader). */
  manual: Finding[];
}

/** `phaseOrder`: every phase name in run order (PHASES). */
export function healPlan(findings: readonly Finding[], phaseOrder: readonly string[]): HealPlan {
  const phases = new Set<string>();
  const thenPhases = new Set<string>();
  const commands = new Map<string, HealCommand>();
  const manual: Finding[] = [];
  for (const f of findings) {
    if (!f.repair) {
      manual.push(f);
      continue;
    }
    for (const p of f.repair.phases ?? []) phases.add(p);
    for (const p of f.repair.thenPhases ?? []) thenPhases.add(p);
    for (const c of f.repair.commands ?? []) {
      const key = JSON.stringify([c.node, c.argv]);
      const had = commands.get(key);
      if (had) {
        if (!had.for.includes(f.code)) had.for.push(f.code);
      } else commands.set(key, { node: c.node, argv: [...c.argv], for: [f.code] });
    }
  }
  const ordered = (set: Set<string>): string[] => {
    const unknown = [...set].filter((p) => !phaseOrder.includes(p));
    if (unknown.length) throw new Error(`heal: unknown phase ${unknown.join(', ')}`);
    return phaseOrder.filter((p) => set.has(p));
  };
  return { phases: ordered(phases), commands: [...commands.values()], thenPhases: ordered(thenPhases), manual };
}

/** True when the plan changes nothing. */
export const emptyPlan = (p: HealPlan): boolean => !p.phases.length && !p.commands.length && !p.thenPhases.length;
