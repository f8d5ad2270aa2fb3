import type { HostTally, Summary } from '../engine/types.js';
import { forEachLimit } from '../engine/pool.js';
import { defaultOutput } from '../report/index.js';
import { TransportError, type ExecResult } from '../transport/types.js';
import type { CliContext } from './cli-context.js';
import { UsageError } from '../util/errors.js';
import { listOption, parseCommon, requestedOutput, secondsOption } from './options.js';
import { loadReachable, openSession } from './session.js';
import { abortReason, raceAbort } from '../util/abort.js';
import { printable } from '../util/terminal-text.js';
import { endWithSummary } from '../util/end-with-summary.js';

/** Bytes of each output stream `exec` shows (its last ones); the whole output is in the run's log folder. */
export const EXEC_SHOWN_BYTES = 256 * 1024;

/** `kubelab exec [--nodes a,b] -- CMD...`: CMD's words are its argv (use `sh -c '...'` for shell syntax). */
export async function execCommand(args: string[], ctx: CliContext): Promise<number> {
  const dash = args.indexOf('--');
  const ownArgs = dash === -1 ? args : args.slice(0, dash);
  const command = dash === -1 ? [] : args.slice(dash + 1);
  // the mode asked for, also when the options do not parse (the summary line of a usage error goes out in it)
  const json = (requestedOutput(ownArgs) ?? defaultOutput(ctx.stdout)) === 'json';
  const print = (text: string): void => {
    ctx.stdout.write(text);
  };
  const summary: Summary = { type: 'summary', ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, hosts: {} };
  /** The last line: the counts (and why the run stopped early), or the summary object in json. */
  const printSummary = (error?: string): void => {
    if (ctx.signal?.aborted) summary.interrupted = `interrupted (${abortReason(ctx.signal)})`;
    if (error !== undefined) summary.error = error;
    const counts = `${summary.ok} ok, ${summary.failed} failed, ${summary.unreachable} unreachable`;
    const why = [summary.interrupted, error === undefined ? undefined : `stopped by an error: ${error}`].filter((w) => w !== undefined);
    print(json ? `${JSON.stringify(summary)}\n` : printable(`${[counts, ...why].join('; ')}\n`));
  };
  // a failure before the command ran (bad input, credentials) or one escaping a host (a bug) still ends with the summary
  const onFailure = <T>(fn: () => Promise<T>): Promise<T> => endWithSummary(fn, printSummary);
  const { common, timeoutMs, nodes } = await onFailure(async () => {
    const { common, values, positionals } = parseCommon(ownArgs, { nodes: { type: 'string' }, timeout: { type: 'string' } });
    if (positionals.length) throw new UsageError(`exec: put the command after --, e.g. kubelab exec -- ${positionals.join(' ')}`);
    if (!command.length) throw new UsageError('exec: no command given; usage: kubelab exec [--nodes a,b] -- CMD [ARGS...]');
    return { common, timeoutMs: secondsOption('--timeout', values.timeout), nodes: listOption(values.nodes, '--nodes') };
  });
  const session = await onFailure(async () =>
    openSession(await loadReachable(common.inventory, ctx, false), ctx, { nodes, connectTimeoutMs: common.connectTimeoutMs }),
  );
  try {
    await onFailure(() => forEachLimit(session.nodes, common.concurrency, async (node) => {
      const tally: HostTally = { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: false, reached: false };
      summary.hosts[node.name] = tally;
      let result: ExecResult | undefined;
      let error: TransportError | undefined;
      const transport = session.transports.get(node);
      try {
        // an interrupt gives up a host still connecting; a running command is interrupted by the transport
        const stopped = (): Error => new TransportError('interrupted', node.name, `interrupted (${abortReason(ctx.signal!)}) before the command started`);
        await raceAbort(transport.connect(), ctx.signal, stopped);
        tally.reached = true;
        result = await transport.exec(command, { timeoutMs, maxOutputBytes: EXEC_SHOWN_BYTES });
      } catch (err) {
        if (!(err instanceof TransportError)) throw err;
        error = err;
      }
      if (error?.kind === 'unreachable') {
        tally.unreachable = true;
        summary.unreachable++;
      } else if (result?.code === 0) {
        tally.ok++;
        summary.ok++;
      } else {
        tally.failed++;
        summary.failed++;
      }
      if (json) {
        print(
          `${JSON.stringify(
            error
              ? { type: 'exec', host: node.name, error: error.kind, message: error.message, hint: error.hint }
              : { type: 'exec', host: node.name, ...result },
          )}\n`,
        );
      } else if (error) {
        const label = error.kind === 'unreachable' ? 'UNREACHABLE' : error.kind === 'interrupted' ? 'INTERRUPTED' : 'FAILED';
        print(printable(`${node.name} ${label}: ${error.message}${error.hint ? ` (${error.hint})` : ''}\n`));
      } else if (result) {
        const lines = [`${node.name} exit ${result.code} (${result.durationMs} ms)`];
        const cut = (bytes: number | undefined, file: string | undefined, mark: string): void => {
          if (bytes) lines.push(`${node.name} ${mark} [... ${bytes} bytes cut${file ? `, full output in ${file}` : ''}]`);
        };
        cut(result.stdoutCut, result.stdoutFile, '|');
        prefixed(result.stdout, `${node.name} | `, lines);
        cut(result.stderrCut, result.stderrFile, '!');
        prefixed(result.stderr, `${node.name} ! `, lines);
        print(printable(`${lines.join('\n')}\n`));
      }
    }));
  } finally {
    await session.close();
  }
  printSummary();
  return summary.failed === 0 && summary.unreachable === 0 ? 0 : 1;
}

/** Each non-empty line of `text` with `prefix`, as one string (not one string per line: outputs are up to 256 KiB). */
function prefixed(text: string, prefix: string, into: string[]): void {
  const body = text.replace(/\n{2,}/g, '\n').replace(/^\n+|\s+$/g, '');
  if (body) into.push(body.replace(/^/gm, prefix));
}
