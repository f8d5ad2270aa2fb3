import { succeeded } from '../engine/run.js';
import { healPlan, emptyPlan, type HealPlan } from '../heal/plan.js';
import { PHASES } from '../phases/index.js';
import { defaultOutput, type OutputMode } from '../report/index.js';
import { doctorErrorSummary, doctorSummary, writeDoctorReport } from '../report/doctor.js';
import { shJoin } from '../transport/quote.js';
import { UsageError } from '../util/errors.js';
import { printable } from '../util/terminal-text.js';
import { runPhasesIn } from './apply.js';
import type { CliContext } from './cli-context.js';
import { withBundle } from './cluster-artifacts.js';
import { diagnose } from './doctor.js';
import { parseCommon, requestedOutput } from './options.js';
import { loadReachable, openSession } from './session.js';

/** A repair command may take this long (kubeadm certs renew, a kubelet restart). */
const REPAIR_COMMAND_TIMEOUT_MS = 5 * 60_000;

/** The plan as text (plain, tty) or one json object. */
function planText(plan: HealPlan, found: number): string {
  const lines = [`heal: ${found} finding${found === 1 ? '' : 's'}`];
  if (plan.phases.length) lines.push(`  repair: up --only ${plan.phases.join(',')}`);
  for (const c of plan.commands) lines.push(`  repair on ${c.node}: ${shJoin(c.argv)} (${c.for.join(', ')})`);
  if (plan.thenPhases.length) lines.push(`  then: up --only ${plan.thenPhases.join(',')}`);
  for (const f of plan.manual) lines.push(`  not repaired by heal: ${f.code}${f.node ? ` on ${f.node}` : ''} (fix: ${f.fix})`);
  return printable(`${lines.join('\n')}\n`);
}

/**
 * `kubelab heal [--bundle DIR]`: the doctor's findings repaired: the `up` phases they name, the commands on their
 * nodes, then the doctor again; what remains is reported like `doctor` (exit 0 when nothing remains, 1 otherwise).
 * Findings without a safe repair (an address change, a rejoin, the clock, disk space) are left with their fix.
 */
export async function healCommand(args: string[], ctx: CliContext): Promise<number> {
  // the mode asked for (what the options say once they parse, read even when they do not)
  const output: OutputMode = requestedOutput(args) ?? defaultOutput(ctx.stdout);
  const write = (text: string): void => void ctx.stdout.write(text);
  try {
    return await heal(args, ctx, output, write);
  } catch (err) {
    // like `doctor`: every output mode ends with its summary line, also when heal could not run or stopped on an error
    writeDoctorReport(output, write, [], doctorErrorSummary((err instanceof Error ? err.message : String(err)).split('\n')[0]!));
    throw err;
  }
}

async function heal(args: string[], ctx: CliContext, output: OutputMode, write: (text: string) => void): Promise<number> {
  const { common, values, positionals } = parseCommon(args, { bundle: { type: 'string' }, offline: { type: 'boolean', default: false } });
  if (positionals.length) throw new UsageError(`heal: unexpected argument ${positionals.join(' ')}`);
  const event = (e: Record<string, unknown>): void => write(`${JSON.stringify(e)}\n`);
  const inv = withBundle(await loadReachable(common.inventory, ctx, true), typeof values.bundle === 'string' ? values.bundle : undefined);
  const session = await openSession(inv, ctx, { connectTimeoutMs: common.connectTimeoutMs });
  try {
    const before = await diagnose(session, ctx, common.inventory, common.concurrency);
    const plan = healPlan(before.findings, PHASES.map((p) => p.name));
    if (output === 'json') {
      event({ type: 'heal-plan', findings: before.findings.map((f) => ({ code: f.code, ...(f.node ? { node: f.node } : {}) })), phases: plan.phases, commands: plan.commands, thenPhases: plan.thenPhases, manual: plan.manual.map((f) => ({ code: f.code, ...(f.node ? { node: f.node } : {}), fix: f.fix })) });
    } else write(planText(plan, before.findings.length));
    if (emptyPlan(plan)) {
      writeDoctorReport(output, write, before.findings, doctorSummary(before));
      return before.findings.length === 0 && before.incomplete.length === 0 ? 0 : 1;
    }
    const up = async (phaseNames: readonly string[]): Promise<boolean> =>
      succeeded(await runPhasesIn(session, ctx, { phases: PHASES.filter((p) => phaseNames.includes(p.name)), mode: 'apply', output, concurrency: common.concurrency, offline: values.offline === true }));
    let ok = plan.phases.length ? await up(plan.phases) : true;
    for (const c of ok ? plan.commands : []) {
      session.logs.note(c.node, `heal: ${shJoin(c.argv)} (${c.for.join(', ')})`);
      const r = await session.transports.get(session.inv.spec.nodes.find((n) => n.name === c.node)!).exec(c.argv, { timeoutMs: REPAIR_COMMAND_TIMEOUT_MS, ...(ctx.signal ? { signal: ctx.signal } : {}) });
      const result = { node: c.node, command: shJoin(c.argv), code: r.code, ...(r.code ? { error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join('\n') } : {}) };
      if (output === 'json') event({ type: 'heal-command', ...result });
      else write(printable(`heal: ${c.node}: ${result.command}: ${r.code === 0 ? 'done' : `failed (exit ${r.code}): ${result.error}`}\n`));
      if (r.code !== 0) ok = false;
    }
    if (ok && plan.thenPhases.length) ok = await up(plan.thenPhases);
    // what is left, as the doctor sees it now
    const after = await diagnose(session, ctx, common.inventory, common.concurrency);
    writeDoctorReport(output, write, after.findings, doctorSummary(after));
    return ok && after.findings.length === 0 && after.incomplete.length === 0 ? 0 : 1;
  } finally {
    await session.close();
  }
}
