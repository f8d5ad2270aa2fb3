import type { DoctorResult } from '../doctor/run.js';
import { readFactBatch } from '../engine/batch-facts.js';
import { defaultOutput, type OutputMode } from '../report/index.js';
import { doctorErrorSummary, doctorSummary, writeDoctorReport } from '../report/doctor.js';
import { UsageError } from '../util/errors.js';
import type { CliContext } from './cli-context.js';
import { listOption, parseCommon, requestedOutput } from './options.js';
import { loadReachable, openSession, type Session } from './session.js';

/** The longest a node's batched read may take (a healthy node answers in about a second; a hung command ends it). */
const NODE_READ_TIMEOUT_MS = 60_000;
const DOCTOR_API_RETRY = { attempts: 2, baseDelayMs: 2000 };
/**
 * A request the API server has not answered in 30 s is abandoned (and tried once more); all of the doctor's requests
 * together stop after 2 minutes, and the sources left are reported incomplete. Without them an overloaded API server
 * held heal's closing doctor for 14 minutes (undici's 300 s per try).
 */
const DOCTOR_API_DEADLINES = { requestTimeoutMs: 30_000, budgetMs: 120_000 };

/** One doctor run over the session's nodes and the API (shared by `doctor` and `heal`). */
export async function diagnose(session: Session, ctx: CliContext, inventoryFile: string, concurrency: number): Promise<DoctorResult> {
  const { runDoctor } = await import('../doctor/run.js');
  return runDoctor({
    inv: session.inv,
    inventoryFile,
    nodes: session.nodes,
    concurrency,
    readNode: (node, facts) => readFactBatch(session.transports.get(node), facts, { timeoutMs: NODE_READ_TIMEOUT_MS, ...(ctx.signal ? { signal: ctx.signal } : {}) }),
    // one more try after a transient API error, soon: a down API server is the doctor's finding, not something to wait out
    openApi: async () => (await import('../k8s/client-node-api.js')).openClusterApi(session.inv, session.transports, { retry: DOCTOR_API_RETRY, deadlines: DOCTOR_API_DEADLINES }),
  });
}

/**
 * `kubelab doctor [--nodes a,b]`: read-only diagnosis of the lab over SSH and the API. Exit 0 when nothing is
 * found, 1 when anything is (or a source could not finish), 2 on bad input.
 */
export async function doctorCommand(args: string[], ctx: CliContext): Promise<number> {
  let output: OutputMode = requestedOutput(args) ?? defaultOutput(ctx.stdout);
  const write = (text: string): void => void ctx.stdout.write(text);
  let session: Session;
  try {
    const { common, values, positionals } = parseCommon(args, { nodes: { type: 'string' } });
    output = common.output ?? output;
    if (positionals.length) throw new UsageError(`doctor: unexpected argument ${positionals.join(' ')}`);
    const nodes = listOption(values.nodes, '--nodes');
    const inv = await loadReachable(common.inventory, ctx, false);
    session = await openSession(inv, ctx, { apiThroughControlPlane: true, ...(nodes ? { nodes } : {}), ...(common.connectTimeoutMs !== undefined ? { connectTimeoutMs: common.connectTimeoutMs } : {}) });
    try {
      const result = await diagnose(session, ctx, common.inventory, common.concurrency);
      const summary = doctorSummary(result);
      writeDoctorReport(output, write, result.findings, summary);
      return summary.findings === 0 && summary.incomplete.length === 0 ? 0 : 1;
    } finally {
      await session.close();
    }
  } catch (err) {
    // like `check`: every output mode ends with its summary line, also when nothing could run
    writeDoctorReport(output, write, [], doctorErrorSummary((err instanceof Error ? err.message : String(err)).split('\n')[0]!));
    throw err;
  }
}
