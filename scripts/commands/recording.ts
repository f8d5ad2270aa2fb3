import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Recording } from '../engine/recording.js';
import type { Inventory } from '../inventory/types.js';
import { isObj, type Obj } from '../util/objects.js';
import type { Settings } from '../util/settings.js';

/**
 * The part of an inventory file's spec that shapes what the steps plan, as the file says it (defaults not
 * filled): everything but how the nodes are reached (spec.ssh, spec.provider, each node's ssh), which differs
 * between the lab and a test. The bundle is the run's (`--bundle` or the file's, as an absolute path).
 */
export function plannedSpec(inventoryText: string, inv: Pick<Inventory, 'spec'>): Obj {
  const doc: unknown = parse(inventoryText);
  const spec: Obj = isObj(doc) && isObj(doc.spec) ? { ...doc.spec } : {};
  delete spec.ssh;
  delete spec.provider;
  if (Array.isArray(spec.nodes)) {
    spec.nodes = spec.nodes.map((n: unknown) => {
      if (!isObj(n)) return n;
      const { ssh: _ssh, ...rest } = n;
      return rest;
    });
  }
  const bundle = inv.spec.kubernetes.bundle;
  if (bundle !== undefined) spec.kubernetes = { ...(isObj(spec.kubernetes) ? spec.kubernetes : {}), bundle };
  return spec;
}

/**
 * Record mode (KUBELAB_RECORD=<dir>, README "Fixtures are recorded"): the run's Recording, with the command line
 * written to <dir>/command.json and the inventory's planned spec (plannedSpec) to <dir>/spec.yaml; undefined when
 * not recording.
 */
export function openRecording(
  settings: Pick<Settings, 'recordDir'>,
  argv: readonly string[],
  secrets: readonly string[],
  inventory: { file: string; inv: Pick<Inventory, 'spec'> },
): Recording | undefined {
  if (settings.recordDir === undefined) return undefined;
  const recording = new Recording(settings.recordDir, secrets);
  recording.writeCommand(argv);
  recording.writeSpec(plannedSpec(readFileSync(inventory.file, 'utf8'), inventory.inv));
  return recording;
}
