import { mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { loadInventory } from '../inventory/load.js';
import { PHASES } from '../phases/index.js';
import { renderFiles, renderNotes } from '../render/files.js';
import type { CliContext } from './cli-context.js';
import { KubelabError, UsageError } from '../util/errors.js';
import { describeDownload, type DownloadNotice } from '../util/download-notice.js';
import { parseCommon } from './options.js';

/** The list of files a render wrote, kept in the output folder: the next render removes exactly these first. */
export const RENDER_MANIFEST = '.kubelab-render.json';

/**
 * `kubelab render -i FILE --out DIR`: every file kubelab would upload or apply, one folder per node + cluster/.
 *
 * DIR must be a new or empty folder, or one an earlier render wrote (it holds RENDER_MANIFEST): then the files
 * that render wrote are removed first (and folders left empty by that), so nothing of it is left behind; files
 * someone else put there stay. Anything else (a file, a folder with other content) is refused before writing.
 */
export async function renderCommand(args: string[], ctx: CliContext): Promise<number> {
  const { common, values, positionals } = parseCommon(args, { out: { type: 'string' }, offline: { type: 'boolean', default: false } });
  if (positionals.length) throw new UsageError(`render: unexpected argument ${positionals[0]}`);
  if (typeof values.out !== 'string' || !values.out) throw new UsageError('render: --out DIR is required (where the files are written)');
  const out = resolve(values.out);
  const previous = checkOut(out);
  const inv = await loadInventory(common.inventory);
  const onDownload = (d: DownloadNotice): void => void ctx.stderr.write(`${describeDownload(d)}\n`);
  const files = await renderFiles(inv, { ...ctx.settings, offline: values.offline === true, onDownload }, PHASES);

  const removed = previous ? removeOwned(out, previous) : 0;
  const written: string[] = [];
  const write = (target: string, content: string): void => {
    try {
      makeDirs(dirname(target));
      writeFileSync(target, content, { mode: 0o644 });
    } catch (err) {
      throw cannotWrite(target, err);
    }
  };
  for (const f of files) {
    const target = join(out, f.scope, f.path.replace(/^\/+/, ''));
    write(target, f.content);
    written.push(target);
  }
  const notes = join(out, 'NOTES.md');
  write(notes, renderNotes(inv));
  write(join(out, RENDER_MANIFEST), `${JSON.stringify({ files: [...written, notes].map((f) => relative(out, f)) }, null, 1)}\n`);

  const json = common.output === 'json';
  for (const f of written) ctx.stdout.write(json ? `${JSON.stringify({ type: 'rendered', file: f })}\n` : `${f}\n`);
  if (!json) {
    ctx.stdout.write(
      `${written.length} files in ${out} (what was assumed: ${notes})` +
        (previous ? `; the ${removed} files of the previous render there were removed first` : '') +
        '\n',
    );
  }
  return 0;
}

/**
 * What an earlier render left in `out` (its file list), undefined for a new or empty folder; a UsageError for
 * anything else. Checked before anything is written.
 */
function checkOut(out: string): string[] | undefined {
  let st;
  try {
    st = statSync(out);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw cannotWrite(out, err);
  }
  if (!st.isDirectory()) throw new UsageError(`--out ${out}: exists and is not a folder`, 'give a new or empty folder');
  let entries: string[];
  try {
    entries = readdirSync(out);
  } catch (err) {
    throw cannotWrite(out, err);
  }
  if (entries.length === 0) return undefined;
  if (!entries.includes(RENDER_MANIFEST)) {
    throw new UsageError(
      `--out ${out}: the folder is not empty and was not written by kubelab render`,
      'give a new or empty folder, or one an earlier render wrote (its files are then replaced)',
    );
  }
  try {
    const list = (JSON.parse(readFileSync(join(out, RENDER_MANIFEST), 'utf8')) as { files?: unknown }).files;
    if (Array.isArray(list) && list.every((f) => typeof f === 'string')) return [...(list as string[]), RENDER_MANIFEST];
  } catch {
    /* reported below */
  }
  throw new UsageError(`--out ${out}: ${RENDER_MANIFEST} is not a render's file list`, 'remove the folder, or give another one');
}

/** Removes the files an earlier render listed (only inside `out`) and the folders that leaves empty. */
function removeOwned(out: string, files: readonly string[]): number {
  let n = 0;
  const dirs = new Set<string>();
  for (const rel of files) {
    const path = resolve(out, rel);
    if (!path.startsWith(out + sep)) continue; // a list edited by hand never reaches outside the folder
    try {
      unlinkSync(path);
      if (rel !== RENDER_MANIFEST) n++;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw cannotWrite(path, err);
    }
    for (let d = dirname(path); d.startsWith(out + sep); d = dirname(d)) dirs.add(d);
  }
  // deepest first; a folder with other content stays
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(d);
    } catch {
      /* not empty */
    }
  }
  return n;
}

/**
 * mkdir -p, one level at a time. Node's recursive mkdir never returns for a path under /proc (it retries the
 * ENOENT that procfs answers forever, at full CPU); this stops at the first level that cannot be made.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    try {
      if (!statSync(d).isDirectory()) throw Object.assign(new Error(`${d} is not a folder`), { code: 'ENOTDIR' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(d) === d) throw err;
      missing.push(d);
    }
  }
  for (const d of missing.reverse()) mkdirSync(d);
}

function cannotWrite(path: string, err: unknown): KubelabError {
  const e = err as NodeJS.ErrnoException;
  return new KubelabError(`render: cannot write ${path}: ${e.code ?? ''}${e.code ? ' ' : ''}${e.message.replace(/^\w+: /, '')}`, 'check --out', 1);
}
