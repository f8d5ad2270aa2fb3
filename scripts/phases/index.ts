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
