import { Recording } from '../engine/recording.js';
import type { Settings } from '../util/settings.js';

/**
 * Record mode (KUBELAB_RECORD=<dir>, README "Fixtures are recorded"): the run's Recording, with the command line
 * written to <dir>/command.json; undefined when not recording.
 */
export function openRecording(settings: Pick<Settings, 'recordDir'>, argv: readonly string[], secrets: readonly string[]): Recording | undefined {
  if (settings.recordDir === undefined) return undefined;
  const recording = new Recording(settings.recordDir, secrets);
  recording.writeCommand(argv);
  return recording;
}
