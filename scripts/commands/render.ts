import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { loadInventory } from '../inventory/load.js';
import { PHASES } from '../phases/index.js';
import { renderFiles, renderNotes } from '../render/files.js';
import type { CliContext } from './cli-context.js';
import { UsageError } from '../util/errors.js';
import { describeDownload, type DownloadNotice } from '../util/download-notice.js';
import { parseCommon } from './options.js';

/** `kubelab render -i FILE --out DIR`: every file kubelab would upload or apply, one folder per node + cluster/. */
export async function renderCommand(args: string[], ctx: CliContext): Promise<number> {
  const { common, values, positionals } = parseCommon(args, { out: { type: 'string' }, offline: { type: 'boolean', default: false } });
  if (positionals.length) throw new UsageError(`render: unexpected argument ${positionals[0]}`);
  if (typeof values.out !== 'string' || !values.out) throw new UsageError('render: --out DIR is required (where the files are written)');
  const inv = await loadInventory(common.inventory);
  const onDownload = (d: DownloadNotice): void => void ctx.stderr.write(`${describeDownload(d)}\n`);
  const files = await renderFiles(inv, { ...ctx.settings, offline: values.offline === true, onDownload }, PHASES);
  const out = resolve(values.out);
  const written: string[] = [];
  for (const f of files) {
    const target = join(out, f.scope, f.path.replace(/^\/+/, ''));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, f.content, { mode: 0o644 });
    written.push(target);
  }
  await writeFile(join(out, 'NOTES.md'), renderNotes(inv));
  const json = common.output === 'json';
  for (const f of written) ctx.stdout.write(json ? `${JSON.stringify({ type: 'rendered', file: f })}\n` : `${f}\n`);
  if (!json) ctx.stdout.write(`${written.length} files in ${out} (what was assumed: ${join(out, 'NOTES.md')})\n`);
  return 0;
}
