import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { ClusterApi } from '../k8s/cluster-api.js';
import { CHECKS } from '../checks/index.js';
import { selectByName } from '../util/select.js';
import { runChecks, summarize, type RunChecksOptions } from '../checks/runner.js';
import type { Check, CheckSettings } from '../checks/types.js';
import { StepError } from '../engine/errors.js';
import type { TransportPool } from '../engine/types.js';
import type { Inventory } from '../inventory/types.js';
import { defaultOutput, makeReporter, writeSummary, type OutputMode } from '../report/index.js';
import { endWithSummary } from '../util/end-with-summary.js';
import { junitXml } from '../report/junit.js';
import type { CliContext } from './cli-context.js';
import { UsageError } from '../util/errors.js';
import { listOption, parseCommon, requestedOutput } from './options.js';
import { loadReachable, openSession } from './session.js';
import { openRecording } from './recording.js';
import { recordingApi } from '../k8s/recording-api.js';

export interface CheckRunOptions {
  inv: Inventory;
  api: ClusterApi;
  transports: TransportPool;
  checks: readonly Check[];
  output: OutputMode;
  /** Write JUnit XML here too. */
  junitFile?: string;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Tests: faster waits, a fixed clock and run id. */
  settings?: Partial<CheckSettings>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  runId?: string;
  startedAt?: Date;
  /** Record mode (runChecks' recorder). */
  recorder?: RunChecksOptions['recorder'];
  signal?: AbortSignal;
}

/** Runs the checks against `api`, their events to the --output reporter; 0 when none failed (skipped ones do not fail). */
export async function runCheckCommand(o: CheckRunOptions): Promise<number> {
  const reporter = await makeReporter(o.output, o.stdout, () => 0);
  const startedAt = o.startedAt ?? new Date();
  try {
    const run = await runChecks({
      inv: o.inv,
      api: o.api,
      transports: o.transports,
      checks: o.checks,
      ...(o.settings ? { settings: o.settings } : {}),
      ...(o.now ? { now: o.now } : {}),
      ...(o.sleep ? { sleep: o.sleep } : {}),
      ...(o.runId ? { runId: o.runId } : {}),
      ...(o.recorder ? { recorder: o.recorder } : {}),
      signal: o.signal,
      emit: (e) => reporter.event(e),
    });
    const summary = summarize(run.results);
    reporter.event(summary);
    if (run.cleanup.error) o.stderr.write(`kubelab: namespace ${run.cleanup.namespace} not removed: ${run.cleanup.error}\n`);
    if (o.junitFile) {
      await mkdir(dirname(o.junitFile), { recursive: true });
      await writeFile(o.junitFile, junitXml(run.results, { timestamp: startedAt, hostname: hostname() }));
    }
    return summary.failed === 0 ? 0 : 1;
  } finally {
    reporter.close();
  }
}

/** `kubelab check [--only a,b] [--junit FILE]`: smoke checks of the cluster, each with a diagnosis on failure. */
export async function checkCommand(args: string[], ctx: CliContext): Promise<number> {
  // a failure before the first check (bad options or input included) still ends the output with the summary (no
  // check counted, why none ran)
  let output = requestedOutput(args) ?? defaultOutput(ctx.stdout);
  const beforeChecks = <T>(fn: () => Promise<T>): Promise<T> =>
    endWithSummary(fn, (why) => writeSummary(output, ctx.stdout, { type: 'summary', passed: 0, failed: 0, skipped: 0, error: why }));
  const { common, values, positionals } = await beforeChecks(async () => parseCommon(args, { only: { type: 'string' }, junit: { type: 'string' } }));
  output = common.output ?? output;
  const { checks, junitFile } = await beforeChecks(async () => {
    if (positionals.length) throw new UsageError(`check: unexpected argument ${positionals.join(' ')}`);
    const junit = typeof values.junit === 'string' ? values.junit : undefined;
    if (junit === '') throw new UsageError('--junit: expected a file name');
    return { checks: selectByName(CHECKS, listOption(values.only, '--only'), 'check'), junitFile: junit };
  });

  const session = await beforeChecks(async () => openSession(await loadReachable(common.inventory, ctx, false), ctx, { connectTimeoutMs: common.connectTimeoutMs }));
  const recorder = openRecording(ctx.settings, ['check', ...args], session.secrets, { file: common.inventory, inv: session.inv });
  try {
    let api: ClusterApi;
    try {
      api = await beforeChecks(async () => (await import('../k8s/client-node-api.js')).openClusterApi(session.inv, session.transports));
      if (recorder) api = recordingApi(api, recorder);
    } catch (err) {
      if (!(err instanceof StepError)) throw err;
      ctx.stderr.write(`kubelab: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}\n`);
      return 1;
    }
    try {
      return await runCheckCommand({
        inv: session.inv,
        api,
        transports: session.transports,
        ...(recorder ? { recorder } : {}),
        checks,
        output,
        ...(junitFile ? { junitFile } : {}),
        stdout: ctx.stdout,
        stderr: ctx.stderr,
        signal: ctx.signal,
      });
    } finally {
      await api.close();
    }
  } finally {
    await session.close();
  }
}
