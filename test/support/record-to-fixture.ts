/**
 * Turns a recording (record mode: KUBELAB_RECORD=<dir> kubelab plan|up|check, README "Fixtures are recorded")
 * into test fixtures. Test support, not a kubelab command:
 *
 *   node dist/test/support/record-to-fixture.js <recording-dir> --node master --phase control-plane \
 *     --out test/fixtures/plan/control-plane/<name>.yaml --description "..."
 *
 * writes a plan fixture (plan-fixture.ts) holding the inventory spec the run planned with (spec.yaml of the
 * recording: nodes, versions, timing; not how nodes are reached), the facts <node> was answered while planning
 * <phase> (argv included), the facts of other nodes its steps read (clusterFacts), and a header saying when and
 * by which command they were recorded. With --api, the objects the run's steps read from the API are copied to
 * <name>.api/ beside it (the fixture's `api`: the network and addons phases plan against them). Its expected
 * steps and commands are then filled in by running the plan test once with KUBELAB_UPDATE_FIXTURES=1 (and
 * checked by hand: the diff is the review).
 *
 *   node dist/test/support/record-to-fixture.js <recording-dir> --scenario --out test/fixtures/checks/<name> \
 *     --description "..."
 *
 * copies the recording's api/ folder, which already has the check-scenario layout (ssh.json included), and adds
 * scenario.json with the description.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Document, parse } from 'yaml';
import type { RecordedFactEntry } from '../../scripts/engine/recording.js';
import type { PlanFixture } from './plan-fixture.js';
import type { RecordedAnswer } from './recorded-facts.js';

export interface RecordedCommand {
  command: string[];
  recordedAt: string;
}

export function readRecordedCommand(dir: string): RecordedCommand {
  const p = join(dir, 'command.json');
  if (!existsSync(p)) throw new Error(`${dir} is not a recording: no command.json`);
  return JSON.parse(readFileSync(p, 'utf8')) as RecordedCommand;
}

/** <dir>/spec.yaml: the inventory spec the recorded run planned with; undefined in a recording made before it was written. */
export function readRecordedSpec(dir: string): Record<string, unknown> | undefined {
  const p = join(dir, 'spec.yaml');
  return existsSync(p) ? (parse(readFileSync(p, 'utf8')) as Record<string, unknown>) : undefined;
}

/** The entries of <dir>/facts/<node>.yaml, in the order they were read. */
export function readRecordedFacts(dir: string, node: string): RecordedFactEntry[] {
  const p = join(dir, 'facts', `${node}.yaml`);
  if (!existsSync(p)) return [];
  return (parse(readFileSync(p, 'utf8')) as RecordedFactEntry[] | null) ?? [];
}

function answer(e: RecordedFactEntry): RecordedAnswer {
  return { argv: [...e.argv], stdout: e.stdout, ...(e.stderr ? { stderr: e.stderr } : {}), ...(e.code !== 0 ? { code: e.code } : {}) };
}

/**
 * Facts asked while planning `phase` (and applying it, with applyToo), by key (the first answer: in a recorded
 * `up`, a step planned after an earlier step's change may have been answered differently; those keys are returned
 * in `changed`).
 */
function planAnswers(
  entries: readonly RecordedFactEntry[],
  phase: string,
  asker: string | undefined,
  applyToo = false,
): { facts: Record<string, RecordedAnswer>; changed: string[] } {
  const facts: Record<string, RecordedAnswer> = {};
  const changed = new Set<string>();
  for (const e of entries) {
    if (e.phase !== phase || (!applyToo && (e.stage ?? 'plan') !== 'plan') || e.for !== asker) continue;
    const a = answer(e);
    const had = facts[e.key];
    if (!had) facts[e.key] = a;
    else if (JSON.stringify(had) !== JSON.stringify(a)) changed.add(e.key);
  }
  return { facts, changed: [...changed] };
}

export interface ToPlanFixture {
  node: string;
  phase: string;
  description: string;
  /** The folder (beside the fixture) its recorded API objects are copied to (copyRecordedObjects): the fixture's `api`. */
  api?: string;
}

/** The plan fixture of `node` in `phase` from a recording, and the header comment naming its origin. */
export function planFixtureFromRecording(dir: string, o: ToPlanFixture): { fixture: PlanFixture; header: string; warnings: string[] } {
  const cmd = readRecordedCommand(dir);
  const own = planAnswers(readRecordedFacts(dir, o.node), o.phase, undefined);
  if (Object.keys(own.facts).length === 0) {
    throw new Error(`the recording has no fact that ${o.node} read while planning ${o.phase} (${join(dir, 'facts', `${o.node}.yaml`)})`);
  }
  const warnings = own.changed.map((k) => `${o.node}: fact ${k} had another answer later in ${o.phase} (a change applied in between); the first is kept`);
  const clusterFacts: Record<string, Record<string, RecordedAnswer>> = {};
  const factsDir = join(dir, 'facts');
  for (const file of existsSync(factsDir) ? readdirSync(factsDir).sort() : []) {
    const other = basename(file, '.yaml');
    if (!file.endsWith('.yaml')) continue;
    // what the node's steps read on other nodes, while planning or applying (the join reads the control plane's CA),
    // and on the node itself through the same cross-node read (flannel reads every node's interfaces, its own too)
    const theirs = planAnswers(readRecordedFacts(dir, other), o.phase, o.node, true);
    if (Object.keys(theirs.facts).length) clusterFacts[other] = theirs.facts;
    warnings.push(...theirs.changed.map((k) => `${other}: fact ${k} had another answer later in ${o.phase}; the first is kept`));
  }
  const spec = readRecordedSpec(dir);
  if (!spec) warnings.push(`${join(dir, 'spec.yaml')} is missing (an older recording): write the fixture's spec block by hand`);
  const fixture: PlanFixture = {
    description: o.description,
    node: o.node,
    ...(spec ? { spec } : {}),
    ...(o.api ? { api: o.api } : {}),
    facts: own.facts,
    ...(Object.keys(clusterFacts).length ? { clusterFacts } : {}),
  };
  const header = [
    `Recorded from a real run on ${cmd.recordedAt} by \`${cmd.command.join(' ')}\``,
    `(KUBELAB_RECORD; converted by test/support/record-to-fixture.ts): the facts ${o.node} read while planning ${o.phase}.`,
    'Do not edit the facts by hand; record again. steps/commands: KUBELAB_UPDATE_FIXTURES=1 (test/fixtures/README.md).',
  ].join('\n');
  return { fixture, header, warnings };
}

/** The fixture as YAML with its header comment. */
export function fixtureYaml(fixture: PlanFixture, header: string): string {
  const doc = new Document(fixture);
  doc.commentBefore = header
    .split('\n')
    .map((l) => ` ${l}`)
    .join('\n');
  return doc.toString({ lineWidth: 0 });
}

/** <out>/scenario.json: the description, and when and by which command the recording `dir` was made. */
function writeScenarioMeta(dir: string, out: string, description: string): void {
  const cmd = readRecordedCommand(dir);
  const meta = { description, recorded: { at: cmd.recordedAt, command: cmd.command.join(' ') } };
  writeFileSync(join(out, 'scenario.json'), `${JSON.stringify(meta, null, 2)}\n`);
}

/**
 * <recording>/api/objects (the objects the run's steps read from the API) copied into `out`, with scenario.json:
 * the recorded API of a plan fixture (its `api`).
 */
export function copyRecordedObjects(dir: string, out: string, description: string): void {
  const objects = join(dir, 'api', 'objects');
  if (!existsSync(objects)) throw new Error(`${dir} has no api/objects folder: record a run whose steps read the API (kubelab plan or up)`);
  mkdirSync(out, { recursive: true });
  cpSync(objects, join(out, 'objects'), { recursive: true });
  writeScenarioMeta(dir, out, description);
}

/** <recording>/api copied into a check scenario folder, with scenario.json. */
export function scenarioFromRecording(dir: string, out: string, description: string): void {
  const api = join(dir, 'api');
  if (!existsSync(api)) throw new Error(`${dir} has no api/ folder: record a run that reads the API (kubelab check or up)`);
  mkdirSync(out, { recursive: true });
  cpSync(api, out, { recursive: true });
  writeScenarioMeta(dir, out, description);
}

function main(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      node: { type: 'string' },
      phase: { type: 'string' },
      out: { type: 'string' },
      description: { type: 'string' },
      scenario: { type: 'boolean', default: false },
      api: { type: 'boolean', default: false },
    },
  });
  const [dir] = positionals;
  const usage = 'usage: record-to-fixture <recording-dir> (--node N --phase P [--api] | --scenario) --out PATH --description TEXT';
  if (!dir || !values.out || !values.description) throw new Error(usage);
  if (values.scenario) {
    scenarioFromRecording(resolve(dir), resolve(values.out), values.description);
    process.stdout.write(`wrote check scenario ${values.out}\n`);
    return;
  }
  if (!values.node || !values.phase) throw new Error(usage);
  // --api: the objects the steps read from the API go beside the fixture, in <name>.api/
  const api = values.api ? `${basename(values.out, '.yaml')}.api` : undefined;
  const { fixture, header, warnings } = planFixtureFromRecording(resolve(dir), { node: values.node, phase: values.phase, description: values.description, ...(api ? { api } : {}) });
  if (api) copyRecordedObjects(resolve(dir), join(dirname(resolve(values.out)), api), values.description);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  mkdirSync(dirname(resolve(values.out)), { recursive: true });
  writeFileSync(values.out, fixtureYaml(fixture, header));
  process.stdout.write(`wrote ${values.out} (${Object.keys(fixture.facts).length} facts); now fill in steps/commands: KUBELAB_UPDATE_FIXTURES=1\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`record-to-fixture: ${(err as Error).message}\n`);
    process.exitCode = 2;
  }
}
