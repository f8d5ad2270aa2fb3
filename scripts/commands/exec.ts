import type { HostTally, Summary } from '../engine/types.js';
import { forEachLimit } from '../engine/pool.js';
import { defaultOutput } from '../report/index.js';
import { TransportError, type ExecResult } from '../transport/types.js';
import type { CliContext } from './cli-context.js';
import { UsageError } from '../util/errors.js';
import { listOption, parseCommon } from './options.js';
import { loadReachable, openSession } from './session.js';
import { abortReason, raceAbort } from '../util/abort.js';
import { printable } from '../util/terminal-text.js';

/** `kubelab exec [--nodes a,b] -- CMD...`: CMD's words are its argv (use `sh -c '...'` for shell syntax). */
export async function execCommand(args: string[], ctx: CliContext): Promise<number> {
  const dash = args.indexOf('--');
  const ownArgs = dash === -1 ? args : args.slice(0, dash);
  const command = dash === -1 ? [] : args.slice(dash + 1);
  const { common, values, positionals } = parseCommon(ownArgs, { nodes: { type: 'string' }, timeout: { type: 'string' } });
  if (positionals.length) throw new UsageError(`exec: put the command after --, e.g. kubelab exec -- ${positionals.join(' ')}`);
  if (!command.length) throw new UsageError('exec: no command given; usage: kubelab exec [--nodes a,b] -- CMD [ARGS...]');
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout) * 1000;
  if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new UsageError(`--timeout ${String(values.timeout)}: expected seconds > 0`);

  const json = (common.output ?? defaultOutput(ctx.stdout)) === 'json';
  const session = await openSession(await loadReachable(common.inventory, ctx, false), ctx, listOption(values.nodes));
  const summary: Summary = { type: 'summary', ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, hosts: {} };
  const print = (text: string): void => {
    ctx.stdout.write(text);
  };
  try {
    await forEachLimit(session.nodes, common.concurrency, async (node) => {
      const tally: HostTally = { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: false };
      summary.hosts[node.name] = tally;
      let result: ExecResult | undefined;
      let error: TransportError | undefined;
      const transport = session.transports.get(node);
      try {
        // an interrupt gives up a host still connecting; a running command is interrupted by the transport
        const stopped = (): Error => new TransportError('interrupted', node.name, `interrupted (${abortReason(ctx.signal!)}) before the command started`);
        await raceAbort(transport.connect(), ctx.signal, stopped);
        result = await transport.exec(command, { timeoutMs });
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
        for (const l of result.stdout.trimEnd().split('\n')) if (l) lines.push(`${node.name} | ${l}`);
        for (const l of result.stderr.trimEnd().split('\n')) if (l) lines.push(`${node.name} ! ${l}`);
        print(printable(`${lines.join('\n')}\n`));
      }
    });
  } finally {
    await session.close();
  }
  if (ctx.signal?.aborted) summary.interrupted = `interrupted (${abortReason(ctx.signal)})`;
  const counts = `${summary.ok} ok, ${summary.failed} failed, ${summary.unreachable} unreachable`;
  print(json ? `${JSON.stringify(summary)}\n` : `${counts}${summary.interrupted ? `; ${summary.interrupted}` : ''}\n`);
  return summary.failed === 0 && summary.unreachable === 0 ? 0 : 1;
}
