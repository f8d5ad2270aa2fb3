import { UsageError } from '../util/errors.js';
import type { Phase } from '../engine/types.js';
import { addonsPhase } from './addons.js';
import { checkPhase } from './check.js';
import { controlPlanePhase } from './control-plane.js';
import { joinPhase } from './join.js';
import { networkPhase } from './network.js';
import { nfsCheckPhase, nfsPhase } from './nfs.js';
import { osPhase } from './os.js';
import { packagesPhase } from './packages.js';
import { runtimePhase } from './runtime.js';

/** Every phase `kubelab up` runs, in order. */
export const PHASES: readonly Phase[] = [
  osPhase,
  runtimePhase,
  packagesPhase,
  nfsPhase,
  nfsCheckPhase,
  controlPlanePhase,
  joinPhase,
  networkPhase,
  addonsPhase,
  checkPhase,
];

/** Phases selected by `--only a,b` (in their run order); unknown names are an error naming the valid ones. */
export function selectPhases(only: readonly string[] | undefined): Phase[] {
  if (!only?.length) return [...PHASES];
  const known = new Set(PHASES.flatMap((p) => [p.name, p.group ?? p.name]));
  const unknown = only.filter((n) => !known.has(n));
  if (unknown.length) {
    throw new UsageError(`--only: unknown phase ${unknown.join(', ')} (phases: ${[...known].join(', ')})`);
  }
  return PHASES.filter((p) => only.includes(p.name) || (p.group !== undefined && only.includes(p.group)));
}
