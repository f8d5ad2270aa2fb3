import { runPhases, stepsFor, succeeded } from '../engine/run.js';
import type { RunMode } from '../engine/types.js';
import { PHASES } from '../phases/index.js';
import { selectByName } from '../util/select.js';
import { defaultOutput, makeReporter } from '../report/index.js';
import type { CliContext } from './cli-context.js';
import { listOption, parseCommon } from './options.js';
import { installSettings, withBundle } from './cluster-artifacts.js';
import { loadReachable, openSession } from './session.js';
import { openRecording } from './recording.js';

/** `kubelab plan` (mode plan) and `kubelab up` (mode apply): the phases over the inventory's nodes. */
export async function applyCommand(mode: RunMode, args: string[], ctx: CliContext): Promise<number> {
  const { common, values } = parseCommon(args, { only: { type: 'string' }, offline: { type: 'boolean', default: false }, bundle: { type: 'string' } });
  const phases = selectByName(PHASES, listOption(values.only, '--only'), 'phase');
  const inv = withBundle(await loadReachable(common.inventory, ctx, mode === 'apply'), typeof values.bundle === 'string' ? values.bundle : undefined);
  const session = await openSession(inv, ctx, { connectTimeoutMs: common.connectTimeoutMs });
  const recorder = openRecording(ctx.settings, [mode === 'apply' ? 'up' : 'plan', ...args], session.secrets);
  const stepsOf = (phaseName: string, host: string): number => {
    const phase = phases.find((p) => p.name === phaseName);
    const node = inv.spec.nodes.find((n) => n.name === host);
    return phase && node ? stepsFor(phase, node, inv).length : 0;
  };
  const reporter = await makeReporter(common.output ?? defaultOutput(ctx.stdout), ctx.stdout, stepsOf);
  try {
    const summary = await runPhases({
      inv: session.inv,
      phases,
      mode,
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
      concurrency: common.concurrency,
      logDir: session.logs.dir,
      settings: installSettings(inv, { ...ctx.settings, offline: values.offline === true, onDownload: (d) => reporter.event({ type: 'download', ...d }) }),
      signal: ctx.signal,
      ...(recorder ? { recorder } : {}),
    });
    return succeeded(summary) ? 0 : 1;
  } finally {
    reporter.close();
    await session.close();
  }
}
