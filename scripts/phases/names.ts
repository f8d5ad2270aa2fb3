/**
 * The names of the phases in run order, for `kubelab --help` without loading the phases themselves (they pull in
 * every step and its libraries, about a second of start-up). PHASES in phases/index.ts must list the same names in
 * the same order: test/unit/phases/names.test.ts checks it.
 */
export const PHASE_NAMES: readonly string[] = ['os', 'runtime', 'packages', 'nfs', 'nfs-check', 'control-plane', 'join', 'network', 'addons', 'check'];
