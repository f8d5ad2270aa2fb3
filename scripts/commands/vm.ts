import { loadInventory, stateDir } from '../inventory/load.js';
import { ensureVms, providerStep } from '../providers/lab.js';
import { vmDown, vmStatus } from '../providers/qemu/index.js';
import { defaultOutput } from '../report/index.js';
import type { CliContext } from './cli-context.js';
import { UsageError } from '../util/errors.js';
import { parseCommon } from './options.js';

/** `kubelab vm up|down|status`: the lab VMs of an inventory with spec.provider. */
export async function vmCommand(args: string[], ctx: CliContext): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'up' && action !== 'down' && action !== 'status') {
    throw new UsageError(`vm: expected up, down or status (got ${action ?? 'nothing'})`);
  }
  const { common, positionals } = parseCommon(rest);
  if (positionals.length) throw new UsageError(`vm ${action}: unexpected argument ${positionals[0]}`);
  const inv = await loadInventory(common.inventory);
  if (!inv.spec.provider) {
    throw new UsageError(`${common.inventory}: spec.provider is not set, so kubelab does not manage these machines (add provider: { type: qemu })`);
  }
  const json = (common.output ?? defaultOutput(ctx.stdout)) === 'json';
  const opts = {
    stateDir: stateDir(inv),
    cacheDir: ctx.settings.imageCacheDir,
    log: (msg: string) => void (json ? undefined : ctx.stderr.write(`${msg}\n`)),
  };
  const print = (rows: object[], line: (r: any) => string): void => {
    for (const r of rows) ctx.stdout.write(json ? `${JSON.stringify({ type: `vm-${action}`, ...r })}\n` : `${line(r)}\n`);
  };

  if (action === 'up') {
    const up = await ensureVms(inv, opts.stateDir, opts.cacheDir, opts.log);
    print(up, (r) => `${r.name} ${r.state} pid ${r.pid} ssh ${r.sshHost}:${r.sshPort} ${r.accel}${r.bootMs ? ` (SSH after ${(r.bootMs / 1000).toFixed(1)}s)` : ''}`);
    return 0;
  }
  if (action === 'down') {
    print(await providerStep(opts.stateDir, 'stopping the lab VMs', () => vmDown(inv, opts)), (r) => `${r.name} ${r.how === 'not-running' ? 'was not running' : `stopped (${r.how})`}`);
    return 0;
  }
  const status = await providerStep(opts.stateDir, 'reading the lab VMs', () => vmStatus(inv, opts));
  print(status, (r) =>
    `${r.name} ${r.running ? `running pid ${r.pid}` : 'stopped'} ssh ${r.sshHost}:${r.sshPort} ${r.sshUp ? 'answers' : 'no answer'}${r.accel ? ` ${r.accel}` : ''}`,
  );
  return status.every((s) => s.running && s.sshUp) ? 0 : 1;
}
