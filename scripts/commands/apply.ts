import { runPhases, stepsFor, succeeded } from '../engine/run.js';
import type { Phase, RunMode, RunRecorder, Summary } from '../engine/types.js';
import { PHASES } from '../phases/index.js';
import { selectByName } from '../util/select.js';
import { defaultOutput, makeReporter, stoppedSummary, writeSummary, type OutputMode } from '../report/index.js';
import { endWithSummary } from '../util/end-with-summary.js';
import type { CliContext } from './cli-context.js';
import { listOption, parseCommon, requestedOutput } from './options.js';
import { installSettings, withBundle } from './cluster-artifacts.js';
import { loadReachable, openSession, type Session } from './session.js';
import { openRecording } from './recording.js';

/** `kubelab plan` (mode plan) and `kubelab up` (mode apply): the phases over the inventory's nodes. */
export async function applyCommand(mode: RunMode, args: string[], ctx: CliContext): Promise<number> {
  // a failure before the run (bad options or input, credentials) still ends the output with the summary, saying why
  const stopped = (why: string): Promise<void> => writeSummary(requestedOutput(args) ?? defaultOutput(ctx.stdout), ctx.stdout, stoppedSummary(why));
  const { common, values } = await endWithSummary(
    async () => parseCommon(args, { only: { type: 'string' }, offline: { type: 'boolean', default: false }, bundle: { type: 'string' } }),
    stopped,
  );
  const output = common.output ?? defaultOutput(ctx.stdout);
  const { phases, session } = await endWithSummary(
    async () => {
      const selected = selectByName(PHASES, listOption(values.only, '--only'), 'phase');
      const inv = withBundle(await loadReachable(common.inventory, ctx, mode === 'apply'), typeof values.bundle === 'string' ? values.bundle : undefined);
      return { phases: selected, session: await openSession(inv, ctx, { connectTimeoutMs: common.connectTimeoutMs }) };
    },
    stopped,
  );
  const recorder = openRecording(ctx.settings, [mode === 'apply' ? 'up' : 'plan', ...args], session.secrets, { file: common.inventory, inv: session.inv });
  try {
    const summary = await runPhasesIn(session, ctx, {
      phases,
      mode,
      output,
      concurrency: common.concurrency,
      offline: values.offline === true,
      ...(recorder ? { recorder } : {}),
    });
    return succeeded(summary) ? 0 : 1;
  } finally {
    await session.close();
  }
}

/** The phases over the session's inventory, reported in `output` (what `up` and `plan` do; `heal` runs `up`'s phases). */
export async function runPhasesIn(
  session: Session,
  ctx: CliContext,
  o: { phases: readonly Phase[]; mode: RunMode; output: OutputMode; concurrency: number; offline?: boolean; recorder?: RunRecorder },
): Promise<Summary> {
  const inv = session.inv;
  const stepsOf = (phaseName: string, host: string): number => {
    const phase = o.phases.find((p) => p.name === phaseName);
    const node = inv.spec.nodes.find((n) => n.name === host);
    return phase && node ? stepsFor(phase, node, inv).length : 0;
  };
  const reporter = await makeReporter(o.output, ctx.stdout, stepsOf);
  try {
    return await runPhases({
      inv,
      phases: o.phases,
      mode: o.mode,
      reporter: {
        event(e) {
          if (e.type === 'step' && e.outcome !== 'ok') {
            session.logs.note(e.host, `${e.phase}/${e.step} ${e.outcome}: ${e.error ?? e.reason ?? e.changes.join('; ')}`);
          }
          reporter.event(e);
        },
        close: () => reporter.close(),
      },
      transports: session.transports,
      concurrency: o.concurrency,
      logDir: session.logs.dir,
      settings: installSettings(inv, { ...ctx.settings, offline: o.offline === true, onDownload: (d) => reporter.event({ type: 'download', ...d }) }),
      signal: ctx.signal,
      ...(o.recorder ? { recorder: o.recorder } : {}),
    });
  } finally {
    reporter.close();
  }
}
