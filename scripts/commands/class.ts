/**
 * `kubelab class render|plan|up|check|exec|kubeconfig|status -f ROSTER [--students a,b]`: one command over every
 * student's lab of a classroom roster (class/roster.ts), every cluster in parallel within the roster's limits,
 * shown on one board (a live view on a terminal) and written to one self-contained HTML report. The exit code is
 * the number of labs that are not green (at most 100); 125 when the class did not start (bad roster or flags).
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { InventoryError } from '../inventory/errors.js';
import { pruneRunLogs, runId } from '../engine/host-log.js';
import type { Inventory } from '../inventory/types.js';
import { kubeconfigYaml, renameKubeconfig, writeFileAtomic } from '../k8s/kubeconfig-file.js';
import { defaultOutput, type OutputMode } from '../report/index.js';
import { describeError } from './error-text.js';
import { UsageError } from '../util/errors.js';
import { printable } from '../util/terminal-text.js';
import { Board, boardLines, endLine, type BoardRow } from '../class/board.js';
import { reportHtml } from '../class/report-html.js';
import { loadRoster, type Classroom, type ClassStudent } from '../class/roster.js';
import { runClass, type ClusterEvent } from '../class/run.js';
import { readStatus, recordStatus } from '../class/status.js';
import type { CliContext } from './cli-context.js';
import { listOption, parseCommon, secondsOption } from './options.js';
import { buildClusterBundle } from './cluster-artifacts.js';

/** Exit code of a class command that did not start (bad roster, bad flags): above any count of labs. */
export const CLASS_NOT_STARTED = 125;
/** The exit code counts labs that are not green up to this. */
const MAX_COUNTED = 100;
const SUBCOMMANDS = ['render', 'plan', 'up', 'check', 'exec', 'kubeconfig', 'status'] as const;
type Sub = (typeof SUBCOMMANDS)[number];
const USAGE = `usage: kubelab class ${SUBCOMMANDS.join('|')} -f ROSTER [--students a,b] (see kubelab --help)`;
/** How often the live board is redrawn on a terminal. */
const REDRAW_MS = 500;
const FALLBACK_COLUMNS = 100;

export async function classCommand(args: string[], ctx: CliContext): Promise<number> {
  try {
    return await classRun(args, ctx);
  } catch (err) {
    if (!(err instanceof InventoryError || err instanceof UsageError)) throw err;
    ctx.stderr.write(describeError(err)!.text);
    return CLASS_NOT_STARTED;
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

async function classRun(args: string[], ctx: CliContext): Promise<number> {
  const [given, ...rest] = args;
  if (!SUBCOMMANDS.includes(given as Sub)) throw new UsageError(given === undefined ? `class: ${USAGE}` : `class ${given}: unknown; ${USAGE}`);
  const sub = given as Sub;
  const dash = rest.indexOf('--');
  const own = dash === -1 ? rest : rest.slice(0, dash);
  const command = dash === -1 ? [] : rest.slice(dash + 1);
  if (own.some((a) => a === '-i' || a === '--inventory' || a.startsWith('--inventory='))) {
    throw new UsageError('class commands take the roster with -f ROSTER, not an inventory (-i)', 'a single cluster: kubelab plan|up -i INVENTORY');
  }
  const { common, values, positionals } = parseCommon(own, {
    file: { type: 'string', short: 'f' },
    students: { type: 'string' },
    only: { type: 'string' },
    offline: { type: 'boolean', default: false },
    bundle: { type: 'string' },
    'no-bundle': { type: 'boolean', default: false },
    report: { type: 'string' },
    nodes: { type: 'string' },
    timeout: { type: 'string' },
    out: { type: 'string' },
    'embed-kubeconfigs': { type: 'boolean', default: false },
  });
  if (positionals.length) throw new UsageError(`class ${sub}: unexpected argument ${positionals.join(' ')}${sub === 'exec' ? ' (put the command after --)' : ''}`);
  const file = str(values.file);
  if (!file) throw new UsageError(`class ${sub}: no roster given; ${USAGE}`);
  if (sub === 'exec' && command.length === 0) throw new UsageError('class exec: no command given; usage: kubelab class exec -f ROSTER [--nodes a,b] -- CMD [ARGS...]');
  if (sub !== 'exec' && dash !== -1) throw new UsageError(`class ${sub}: takes no command after --`);
  const room = await loadRoster(file);
  const students = pickStudents(room, listOption(values.students, '--students'));
  const output = common.output ?? defaultOutput(ctx.stdout);

  if (sub === 'render') return renderInventories(room, students, str(values.out), ctx);
  if (sub === 'status') return showStatus(room, students, output, ctx);

  await writeInventories(room, students);
  const pass = (flag: string, v: unknown): string[] => (typeof v === 'string' ? [flag, v] : []);
  const connect = common.connectTimeoutMs !== undefined ? ['--connect-timeout', String(common.connectTimeoutMs / 1000)] : [];
  const json = ['-o', 'json', ...connect];
  const startedAt = new Date();
  let run: (s: ClassStudent, c: CliContext) => Promise<number>;
  switch (sub) {
    case 'plan':
    case 'up': {
      const { applyCommand } = await import('./apply.js');
      const offline = values.offline === true ? ['--offline'] : [];
      if (sub === 'up') await classBaseImages(students, ctx, output);
      const bundles =
        sub === 'up' && values['no-bundle'] !== true && typeof values.bundle !== 'string'
          ? await classBundles(room, students, { offline: values.offline === true, ctx, output })
          : new Map<string, string>();
      run = (s, c) => {
        const bundle = str(values.bundle) ?? bundles.get(s.name);
        return applyCommand(sub === 'up' ? 'apply' : 'plan', ['-i', s.inventoryFile, ...json, ...pass('--only', values.only), ...offline, ...(bundle ? ['--bundle', bundle] : [])], c);
      };
      break;
    }
    case 'check': {
      const { checkCommand } = await import('./check.js');
      run = (s, c) => checkCommand(['-i', s.inventoryFile, ...json, ...pass('--only', values.only)], c);
      break;
    }
    case 'exec': {
      const { execCommand } = await import('./exec.js');
      if (values.timeout !== undefined) secondsOption('--timeout', values.timeout);
      run = (s, c) => execCommand(['-i', s.inventoryFile, ...json, ...pass('--nodes', values.nodes), ...pass('--timeout', values.timeout), '--', ...command], c);
      break;
    }
    case 'kubeconfig': {
      const { kubeconfigCommand } = await import('./kubeconfig.js');
      run = (s, c) => kubeconfigCommand(['-i', s.inventoryFile, ...json], c);
      break;
    }
    default:
      throw new Error(`class ${sub}: not a run`);
  }

  const board = new Board(students);
  const logDir = path.join(room.stateDir, 'logs', runId(startedAt));
  pruneRunLogs(path.join(room.stateDir, 'logs'), ctx.settings.keepLogs, logDir);
  const view = makeView(output, board, ctx, sub);
  const results = await runClass({
    students,
    limits: room.limits,
    logDir,
    ctx,
    command: run,
    onStart: (s) => {
      board.start(s.name);
      view.started(s);
    },
    onEvent: (s, e) => {
      board.event(s.name, e);
      view.event(s, e);
    },
    onEnd: (s, r) => {
      board.end(s.name, r);
      view.ended(board.row(s.name));
    },
  });
  view.close();

  const kubeconfigs = sub === 'kubeconfig' ? await studentKubeconfigs(room, board, str(values.out), values['embed-kubeconfigs'] === true) : undefined;
  if (kubeconfigs && output !== 'json') {
    for (const [student, kc] of kubeconfigs) ctx.stdout.write(`${student}: wrote ${kc.file} (context ${student}, mode 0600)\n`);
  }
  const durationMs = Date.now() - startedAt.getTime();
  const reportFile = path.resolve(str(values.report) ?? path.join(room.stateDir, 'report.html'));
  await mkdir(path.dirname(reportFile), { recursive: true });
  await writeFile(reportFile, reportHtml({ classroom: room.name, command: sub, startedAt, durationMs, board, file: reportFile, ...(kubeconfigs ? { kubeconfigs } : {}) }), {
    mode: kubeconfigs && values['embed-kubeconfigs'] === true ? 0o600 : 0o644,
  });
  await recordStatus(room.stateDir, sub, startedAt, board.rows.filter((r) => results.some((x) => x.student === r.student)));
  const notGreen = board.notGreen();
  const summary = { type: 'class-summary', classroom: room.name, command: sub, students: board.rows.length, green: board.rows.length - notGreen.length, notGreen, report: reportFile, logs: logDir, durationMs };
  if (output === 'json') ctx.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    ctx.stdout.write(`${board.rows.length - notGreen.length} of ${board.rows.length} labs green${notGreen.length ? `; not green: ${notGreen.join(', ')}` : ''}\n`);
    ctx.stdout.write(`report: ${reportFile}\nlogs: ${logDir}\n`);
  }
  return Math.min(notGreen.length, MAX_COUNTED);
}

/** The students named by --students (each must be in the roster), or all of them, in roster order. */
function pickStudents(room: Classroom, names: string[] | undefined): ClassStudent[] {
  if (names === undefined) return [...room.students];
  const unknown = names.filter((n) => !room.students.some((s) => s.name === n));
  if (unknown.length) throw new UsageError(`--students: ${unknown.join(', ')} not in ${room.file} (students: ${room.students.map((s) => s.name).join(', ')})`);
  return room.students.filter((s) => names.includes(s.name));
}

const HEADER = '# written by kubelab class from the roster';

/** A generated student inventory as file text: a header naming the roster, then the document. */
function inventoryText(room: Classroom, s: ClassStudent): string {
  return `${HEADER} ${path.basename(room.file)} (student ${s.name}); kubelab writes it again on every class run\n${stringify(s.generated)}`;
}

/** Writes each generated student inventory where the class commands read it (only when its text changed). */
async function writeInventories(room: Classroom, students: readonly ClassStudent[]): Promise<void> {
  for (const s of students) {
    if (!s.generated) continue;
    const text = inventoryText(room, s);
    const have = await readFile(s.inventoryFile, 'utf8').catch(() => undefined);
    if (have === text) continue;
    await mkdir(path.dirname(s.inventoryFile), { recursive: true });
    await writeFile(s.inventoryFile, text);
  }
}

/**
 * `class render --out DIR`: each student's inventory as DIR/<student>.yaml, an ordinary inventory a student can
 * take home. A file there that kubelab did not write is never overwritten.
 */
async function renderInventories(room: Classroom, students: readonly ClassStudent[], out: string | undefined, ctx: CliContext): Promise<number> {
  if (!out) throw new UsageError('class render: --out DIR is needed (the folder the inventories go to)');
  await mkdir(out, { recursive: true });
  const planned = students.filter((s) => s.generated).map((s) => ({ s, file: path.join(out, `${s.name}.yaml`) }));
  for (const { file } of planned) {
    const have = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw new UsageError(`class render: cannot read ${file}: ${err.code ?? err.message}`);
    });
    if (have !== undefined && !have.startsWith(HEADER)) throw new UsageError(`class render: ${file} exists and was not written by kubelab class render; not overwritten`, 'render into another folder, or move that file');
  }
  for (const { s, file } of planned) {
    await writeFile(file, inventoryText(room, s));
    ctx.stdout.write(`${s.name}: ${file}\n`);
  }
  for (const s of students.filter((x) => !x.generated)) ctx.stdout.write(`${s.name}: their own inventory, ${s.inventoryFile}\n`);
  return 0;
}

/**
 * `class up`'s one download: the students installing release binaries without a bundle of their own get one class
 * bundle per cluster shape (version, mirrors, addons, images), built (or brought up to date: nothing is downloaded
 * twice) before any cluster starts, under <class state>/bundles/. Returns the bundle folder per student.
 */
async function classBundles(
  room: Classroom,
  students: readonly ClassStudent[],
  o: { offline: boolean; ctx: CliContext; output: OutputMode },
): Promise<Map<string, string>> {
  const groups = new Map<string, { inv: Inventory; students: string[] }>();
  for (const s of students) {
    const k = s.inventory.spec.kubernetes;
    if (k.install !== 'binaries' || k.bundle !== undefined) continue;
    const shape = JSON.stringify({ k: { ...k, bundle: undefined }, m: s.inventory.spec.mirrors, r: s.inventory.spec.runtime.registryMirrors, a: s.inventory.spec.addons, c: s.inventory.spec.checks.image, f: s.inventory.spec.network.flannel });
    const key = createHash('sha256').update(shape).digest('hex').slice(0, 12);
    const g = groups.get(key) ?? { inv: s.inventory, students: [] };
    g.students.push(s.name);
    groups.set(key, g);
  }
  const out = new Map<string, string>();
  for (const [key, g] of groups) {
    const dir = path.join(room.stateDir, 'bundles', key);
    const say = (text: string): void => {
      if (o.output !== 'json') o.ctx.stderr.write(printable(`${text}\n`));
    };
    say(`class bundle ${dir} for ${g.students.join(', ')}: building (each download announced; a rebuild downloads nothing)`);
    const index = await buildClusterBundle(g.inv, {
      out: dir,
      arch: 'amd64',
      settings: { ...o.ctx.settings, offline: o.offline },
      onDownload: (d) =>
        o.output === 'json' ? o.ctx.stdout.write(`${JSON.stringify({ type: 'download', ...d })}\n`) : say(`downloading ${d.what} from ${d.url} into ${d.into}`),
    });
    say(`class bundle ${dir}: Kubernetes ${index.kubernetesVersion}, ${index.files.length} files, ${index.manifests.length} manifests, ${index.images.length} images`);
    for (const s of g.students) out.set(s, dir);
  }
  return out;
}

/**
 * `class up` with labs that kubelab makes itself (spec.provider): each distinct base image is built (or found in
 * the image cache) once, before the clusters start, so that they do not all build it at the same time.
 */
async function classBaseImages(students: readonly ClassStudent[], ctx: CliContext, output: OutputMode): Promise<void> {
  const labs = students.filter((s) => s.inventory.spec.provider);
  if (!labs.length) return;
  const { ensureBaseImage } = await import('../providers/qemu/index.js');
  const seen = new Set<string>();
  for (const s of labs) {
    const key = JSON.stringify(s.inventory.spec.provider!.image);
    if (seen.has(key)) continue;
    seen.add(key);
    await ensureBaseImage(s.inventory, ctx.settings.imageCacheDir, (msg) => {
      if (output !== 'json') ctx.stderr.write(printable(`${msg}\n`));
    });
  }
}

/**
 * `class kubeconfig`: each student's cluster kubeconfig (written by `kubelab kubeconfig`) copied to
 * DIR/<student>.kubeconfig with its context, cluster and user named after the student, mode 0600 in a 0700 folder.
 */
async function studentKubeconfigs(room: Classroom, board: Board, out: string | undefined, embed: boolean): Promise<Map<string, { file: string; text?: string }>> {
  const dir = path.resolve(out ?? path.join(room.stateDir, 'kubeconfigs'));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const written = new Map<string, { file: string; text?: string }>();
  for (const r of board.rows) {
    if (!r.kubeconfig) continue;
    const text = kubeconfigYaml(
      renameKubeconfig(await readFile(r.kubeconfig.file, 'utf8'), { name: r.student, server: r.kubeconfig.server, ...(r.kubeconfig.tlsServerName ? { tlsServerName: r.kubeconfig.tlsServerName } : {}) }, r.kubeconfig.file),
    );
    const file = path.join(dir, `${r.student}.kubeconfig`);
    await writeFileAtomic(file, text, 0o600);
    written.set(r.student, { file, ...(embed ? { text } : {}) });
  }
  return written;
}

/** `class status`: each student's last class run, from the record (no connection to any node). */
async function showStatus(room: Classroom, students: readonly ClassStudent[], output: OutputMode, ctx: CliContext): Promise<number> {
  const status = await readStatus(room.stateDir);
  const board = new Board(students);
  const rows: BoardRow[] = board.rows.map((r) => status[r.student]?.row ?? r);
  if (output === 'json') {
    for (const r of rows) ctx.stdout.write(`${JSON.stringify({ type: 'student', student: r.student, cluster: r.cluster, state: r.state, command: status[r.student]?.command ?? null, at: status[r.student]?.at ?? null, failures: r.failures })}\n`);
  } else {
    const lines = boardLines(rows, ctx.stdout.columns || FALLBACK_COLUMNS);
    ctx.stdout.write(`${lines[0]}  LAST RUN\n`);
    rows.forEach((r, i) => {
      const s = status[r.student];
      ctx.stdout.write(`${lines[i + 1]}${s ? `  (${s.command} ${s.at})` : '  (never run)'}\n`);
    });
  }
  const notGreen = rows.filter((r) => r.state !== 'green').length;
  if (output !== 'json') ctx.stdout.write(`${rows.length - notGreen} of ${rows.length} labs green (last runs)\n`);
  return Math.min(notGreen, MAX_COUNTED);
}

interface View {
  started(s: ClassStudent): void;
  event(s: ClassStudent, e: ClusterEvent): void;
  ended(r: BoardRow): void;
  close(): void;
}

/** The run's output: the live board (tty), a line per student starting and ending (plain), or every event (json). */
function makeView(output: OutputMode, board: Board, ctx: CliContext, sub: Sub): View {
  const write = (t: string): void => {
    ctx.stdout.write(t);
  };
  const outputs = (r: BoardRow): string =>
    r.outputs
      .map((o) => {
        const head = `${r.student}/${o.host} ${o.error !== undefined ? `FAILED: ${o.error}` : `exit ${o.code}`}`;
        const body = [o.stdout, o.stderr].filter((x): x is string => !!x && x.trim() !== '').map((x) => x.replace(/\s+$/, '').replace(/^/gm, `${r.student}/${o.host} | `));
        return printable([head, ...body].join('\n'));
      })
      .join('\n');
  if (output === 'json') {
    return {
      started: (s) => write(`${JSON.stringify({ type: 'student-start', student: s.name, cluster: s.inventory.metadata.name })}\n`),
      event: (s, e) => write(`${JSON.stringify({ student: s.name, ...e })}\n`),
      ended: (r) => write(`${JSON.stringify({ type: 'student-end', student: r.student, state: r.state, exitCode: r.exitCode, durationMs: r.durationMs, failures: r.failures })}\n`),
      close: () => {},
    };
  }
  if (output === 'plain') {
    return {
      started: (s) => write(`${s.name}: ${sub} started (cluster ${s.inventory.metadata.name})\n`),
      event: () => {},
      ended: (r) => {
        if (r.outputs.length) write(`${outputs(r)}\n`);
        write(`${endLine(r)}\n`);
      },
      // at the end, the board as a table
      close: () => write(`${boardLines(board.rows, FALLBACK_COLUMNS * 2).join('\n')}\n`),
    };
  }
  // tty: the board redrawn in place; exec outputs after it
  let drawn = 0;
  const draw = (): void => {
    const lines = boardLines(board.rows, (ctx.stdout.columns || FALLBACK_COLUMNS) - 1);
    write(`${drawn ? `\x1b[${drawn}F\x1b[0J` : ''}${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  draw();
  const timer = setInterval(draw, REDRAW_MS);
  return {
    started: () => {},
    event: () => {},
    ended: () => {},
    close: () => {
      clearInterval(timer);
      draw();
      const all = board.rows.filter((r) => r.outputs.length).map(outputs);
      if (all.length) write(`${all.join('\n')}\n`);
      for (const r of board.rows.filter((x) => x.failures.length > 1)) write(printable(`${r.student}: ${r.failures.join('\n  ')}\n`));
    },
  };
}
