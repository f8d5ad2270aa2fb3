/** kubelet-not-running, containerd-not-running: the unit's state and the last lines of its journal as the reason. */
import { journalTail } from '../facts/journal.js';
import type { Fact } from '../engine/types.js';
import { unitState, type UnitState } from '../facts/systemd.js';
import { unitRestarts, type UnitRestarts } from '../facts/unit-restarts.js';
import type { InventoryNode } from '../inventory/types.js';
import type { DoctorContext, DoctorSource, Finding, FindingCode, FirstRead, Repair } from './types.js';

export const JOURNAL_LINES = 20;

/**
 * The journal line that best says why: the unit's own last error (klog's `E1130 ...`, logrus' `level=error`), else
 * its last line naming a failure (systemd's own "Failed with result" lines say less), else the last line.
 */
export function journalReason(journal: string): string {
  const lines = journal.split('\n').filter((l) => l.trim() && !/^-- (No entries|Logs begin|Journal begins)/.test(l));
  const stopped = cleanStop(lines);
  if (stopped) return `it was stopped, it did not crash (systemctl stop or a shutdown): ${stopped.trim()}`;
  const last = (re: RegExp, skipSystemd = false): string | undefined =>
    [...lines].reverse().find((l) => re.test(l) && !(skipSystemd && /\ssystemd\[1\]:/.test(l)));
  const reason = last(/\sE\d{4} |level=(error|fatal)|\berr="/) ?? last(/\b(error|failed|fatal|refused|not supported)\b/i, true) ?? lines[lines.length - 1];
  return (reason ?? 'the journal is empty').trim();
}

/**
 * systemd's "Stopped <unit>" line when the journal ends with a requested stop ("Stopping", "Deactivated
 * successfully", "Stopped", then nothing of the unit's own and no failure): the reason is the stop, and the errors
 * logged before it are not. A crash ends with "Main process exited" / "Failed with result" instead.
 */
function cleanStop(lines: readonly string[]): string | undefined {
  let stopping = lines.length - 1;
  while (stopping >= 0 && !/\ssystemd\[1\]: Stopping /.test(lines[stopping]!)) stopping--;
  if (stopping < 0) return undefined;
  const after = lines.slice(stopping + 1);
  if (after.some((l) => !/\ssystemd\[1\]: /.test(l) || /Failed with result|Main process exited|\sStarted /.test(l))) return undefined;
  return after.find((l) => /\ssystemd\[1\]: Stopped /.test(l));
}

interface ServiceCheck {
  unit: string;
  code: FindingCode;
  /** What repairs it (the finding's fix is these commands). */
  repair(node: InventoryNode, installed: boolean): Repair;
}

const SERVICES: readonly ServiceCheck[] = [
  { unit: 'containerd', code: 'containerd-not-running', repair: () => ({ phases: ['runtime'] }) },
  {
    unit: 'kubelet',
    code: 'kubelet-not-running',
    // kubelet is enabled by `up` but started by kubeadm init/join: after the cause in its journal is gone, restart it
    repair: (node, installed) => (installed ? { commands: [{ node: node.name, argv: ['systemctl', 'restart', 'kubelet'] }] } : { phases: ['packages'] }),
  },
];

/** The units whose restarts the doctor reads, on every node (one command; a unit that does not exist reads as 0). */
export const UNIT_RESTARTS = unitRestarts(['containerd', 'kubelet', 'nfs-server']);
/** A unit restarted this often by systemd and up for less than this long is in a restart loop. */
const LOOP_RESTARTS = 3;
const LOOP_ACTIVE_SECONDS = 60;

/** "kubelet keeps restarting (12 restarts, up 1 s)" when the unit is active but in a restart loop. */
function restartLoop(restarts: ReadonlyMap<string, UnitRestarts> | undefined, unit: string): string | undefined {
  const r = restarts?.get(unit);
  if (!r || r.restarts < LOOP_RESTARTS || r.activeForSeconds === undefined || r.activeForSeconds >= LOOP_ACTIVE_SECONDS) return undefined;
  return `${unit} keeps restarting (${r.restarts} restarts by systemd, up ${Math.round(r.activeForSeconds)} s)`;
}

/**
 * A unit that is down: its state, and `loop` when it is active but in a restart loop; undefined when it runs or
 * its state could not be read.
 */
function downState(value: <T>(fact: Fact<T>) => T | undefined, unit: string): { state: UnitState; loop?: string } | undefined {
  const state = value(unitState(unit));
  if (!state) return undefined;
  if (state.active !== 'active') return { state };
  const loop = restartLoop(value(UNIT_RESTARTS), unit);
  return loop ? { state, loop } : undefined;
}

/** Finds a unit that is not active or keeps restarting; undefined when it runs, or when its state could not be read. */
export function serviceFinding(ctx: DoctorContext, node: InventoryNode, s: Pick<ServiceCheck, 'unit' | 'code'> & { repair(installed: boolean): Repair }): Finding | undefined {
  const down = downState((f) => ctx.value(node, f), s.unit);
  if (!down) return undefined;
  const { state, loop } = down;
  const journal = ctx.value(node, journalTail(s.unit, JOURNAL_LINES)) ?? '';
  const installed = state.loaded;
  return {
    code: s.code,
    node: node.name,
    symptom: loop ?? (installed ? `${s.unit} is ${state.active || 'not active'} (enabled: ${state.enabled || 'unknown'})` : `${s.unit} is not installed (no ${s.unit}.service)`),
    cause: installed ? `its journal says: ${journalReason(journal)}` : `the ${s.unit} unit does not exist on ${node.name}`,
    ...ctx.fix.repaired(s.repair(installed)),
    ...(journal.trim() ? { evidence: journal } : {}),
  };
}

/** The facts serviceFinding reads first for `unit`: its state and the restart counts. */
export function serviceFacts(unit: string): Fact<unknown>[] {
  return [unitState(unit), UNIT_RESTARTS];
}

/** Then, for a unit that is down: its journal's last lines (the reason). */
export function serviceMore(unit: string, first: FirstRead): Fact<unknown>[] {
  return downState((f) => first.value(f), unit) ? [journalTail(unit, JOURNAL_LINES)] : [];
}

export const servicesSource: DoctorSource = {
  name: 'services',
  facts: () => SERVICES.flatMap((s) => serviceFacts(s.unit)),
  more: (_node, first) => SERVICES.flatMap((s) => serviceMore(s.unit, first)),
  diagnose(ctx) {
    return ctx.nodes.flatMap((node) => SERVICES.map((s) => serviceFinding(ctx, node, { ...s, repair: (installed) => s.repair(node, installed) })).filter((f): f is Finding => f !== undefined));
  },
};
