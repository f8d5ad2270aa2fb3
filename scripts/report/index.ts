import type { CheckSummary, Reporter, Summary } from '../engine/types.js';
import { JsonReporter } from './json.js';
import { PlainReporter } from './plain.js';

export type OutputMode = 'tty' | 'plain' | 'json';
export const OUTPUT_MODES: readonly OutputMode[] = ['tty', 'plain', 'json'];

/** tty by default on a terminal, plain otherwise. */
export function defaultOutput(stream: NodeJS.WriteStream): OutputMode {
  return stream.isTTY ? 'tty' : 'plain';
}

/** The tty reporter (and ora) is loaded only when used: plain and json start faster. */
export async function makeReporter(
  mode: OutputMode,
  stream: NodeJS.WriteStream,
  stepsOf: (phase: string, host: string) => number,
): Promise<Reporter> {
  const write = (text: string): void => {
    stream.write(text);
  };
  if (mode === 'json') return new JsonReporter(write);
  if (mode === 'plain') return new PlainReporter(write);
  const { TtyReporter } = await import('./tty.js');
  return new TtyReporter(write, stream, stepsOf);
}

/** The summary of a run that stopped before its reporter was made (see util/end-with-summary.ts), as its last output. */
export async function writeSummary(mode: OutputMode, stream: NodeJS.WriteStream, summary: Summary | CheckSummary): Promise<void> {
  const reporter = await makeReporter(mode, stream, () => 0);
  reporter.event(summary);
  reporter.close();
}

/** A plan/up/exec summary with nothing done: the run stopped (why) before any host was reached. */
export function stoppedSummary(why: string): Summary {
  return { type: 'summary', ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, hosts: {}, error: why };
}
