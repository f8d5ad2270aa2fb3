import { resolve } from 'node:path';
import { archiveBundle } from '../artifacts/bundle.js';
import type { Arch } from '../engine/install-artifacts.js';
import { loadInventory } from '../inventory/load.js';
import type { CliContext } from './cli-context.js';
import { buildClusterBundle } from './cluster-artifacts.js';
import { UsageError } from '../util/errors.js';
import { parseCommon } from './options.js';
import { defaultOutput, makeReporter } from '../report/index.js';
import type { OnDownload } from '../util/download-notice.js';

/** `kubelab bundle build -i FILE [--out DIR] [--arch amd64|arm64] [--offline] [--archive]`: an offline bundle folder (and DIR.tar). */
export async function bundleCommand(args: string[], ctx: CliContext): Promise<number> {
  const { common, values, positionals } = parseCommon(args, {
    out: { type: 'string' },
    arch: { type: 'string', default: 'amd64' },
    offline: { type: 'boolean', default: false },
    archive: { type: 'boolean', default: false },
  });
  if (positionals[0] !== 'build' || positionals.length > 1) throw new UsageError('usage: kubelab bundle build -i FILE [--out DIR] [--arch amd64|arm64] [--offline] [--archive]');
  const arch = values.arch as string;
  if (arch !== 'amd64' && arch !== 'arm64') throw new UsageError(`--arch ${arch}: expected amd64 or arm64`);
  const inv = await loadInventory(common.inventory);
  const offline = values.offline === true;
  const out = resolve(typeof values.out === 'string' && values.out ? values.out : `${inv.metadata.name}-bundle`);
  // each download announced first, as plan, up and render do: a line in tty/plain, a download object in json
  const reporter = await makeReporter(common.output ?? defaultOutput(ctx.stdout), ctx.stdout, () => 0);
  const onDownload: OnDownload = (d) => reporter.event({ type: 'download', ...d });
  const index = await buildClusterBundle(inv, { out, arch: arch as Arch, settings: { ...ctx.settings, offline }, onDownload });
  reporter.close();
  const archive = values.archive === true ? `${out}.tar` : undefined;
  if (archive) await archiveBundle(out, archive);
  if (common.output === 'json') ctx.stdout.write(`${JSON.stringify({ type: 'bundle', path: out, ...(archive ? { archive } : {}), ...index })}\n`);
  else {
    for (const f of index.files) ctx.stdout.write(`file   ${f.path}  ${f.version}  sha256:${f.sha256}\n`);
    for (const m of index.manifests) ctx.stdout.write(`manifest ${m.path}\n`);
    for (const i of index.images) ctx.stdout.write(`image  ${i.ref}  ${i.digest}\n`);
    ctx.stdout.write(
      `bundle for Kubernetes ${index.kubernetesVersion} linux/${index.arch} in ${out}: ${index.files.length} files, ${index.manifests.length} manifests, ${index.images.length} images` +
        `${archive ? ` (also as ${archive})` : ''}\n`,
    );
  }
  return 0;
}
