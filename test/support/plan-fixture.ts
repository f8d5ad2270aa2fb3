import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { parse, parseDocument } from 'yaml';
import { hostContext } from '../../scripts/engine/run.js';
import type { Change, ClusterContext, Phase, TransportPool } from '../../scripts/engine/types.js';
import type { InstallArtifacts } from '../../scripts/engine/install-artifacts.js';
import type { InventoryNode } from '../../scripts/inventory/types.js';
import { remoteFactsKey } from '../../scripts/engine/remote-facts.js';
import { setClusterApi } from '../../scripts/k8s/cluster-api.js';
import { loadScenario } from './check-scenario.js';
import { testCluster } from './cluster.js';
import { FakeApi } from './fake-api.js';
import { seedSettings } from './seed.js';
import { RecordedFacts, type RecordedAnswer } from './recorded-facts.js';
import { RecordingTransport } from './recording-transport.js';
import { testInventory } from './inventory.js';

/**
 * Planning as data (pyinfra style): given these recorded facts on this node, each step plans exactly these
 * changes; applying them issues exactly these commands and uploads these files. Fixtures live in
 * test/fixtures/plan/<phase>/*.yaml.
 *
 * Update mode (KUBELAB_UPDATE_FIXTURES=1, for fixtures converted from a recording by record-to-fixture.ts): the
 * planned steps and the commands applying them runs are written into the fixture file instead of compared; the
 * facts are still checked (each used, each asked with its recorded argv). Review the diff before committing.
 */
export interface PlanFixture {
  description: string;
  node: string;
  /** Merged over the test inventory's spec (e.g. runtime or nfs settings). */
  spec?: Record<string, unknown>;
  facts: Record<string, RecordedAnswer>;
  /** Facts of other nodes, read by cross-node steps (a worker asking the control plane), by node name. */
  clusterFacts?: Record<string, Record<string, RecordedAnswer>>;
  steps?: Record<string, string[]>;
  /** The step whose plan fails, with a part of the message and of the hint. */
  error?: { step: string; message: string; hint?: string };
  /** Commands run by applying the plan, in order ("put <path> <mode>" for uploads). */
  commands?: string[];
  /** Commands run on other nodes while applying the plan, by node name. */
  clusterCommands?: Record<string, string[]>;
  /**
   * The run's install artifacts (install: binaries), as the workstation side would hand them over; given to
   * the steps through RunSettings.installArtifacts, whatever the architecture asked for.
   */
  artifacts?: InstallArtifacts;
  /** Recorded answers to commands run while applying (by command line, e.g. a verification's sha256sum). */
  commandAnswers?: Record<string, RecordedAnswer>;
  /**
   * A recorded API beside the fixture (a folder name relative to it, with scenario.json and objects/<kind>/<namespace
   * or _cluster>/<name>.json as record mode writes them): the steps read those objects through a FakeApi, and the
   * pinned manifests from the seed dir (the network and addons phases).
   */
  api?: string;
  /** Exact content of uploaded files. */
  files?: Record<string, string>;
  /** Parts of uploaded files whose content is not fully known in advance (generated secrets). */
  filesContain?: Record<string, string[]>;
}

export function readFixtures(dir: string): { file: string; fx: PlanFixture }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => ({ file, fx: parse(readFileSync(`${dir}/${file}`, 'utf8')) as PlanFixture }));
}

/** One RecordingTransport per node, handed out again on every get(). */
export class RecordingPool implements TransportPool {
  readonly transports = new Map<string, RecordingTransport>();
  constructor(private readonly make: (name: string) => RecordingTransport = (n) => new RecordingTransport(n)) {}
  get(node: Pick<InventoryNode, 'name'>): RecordingTransport {
    let t = this.transports.get(node.name);
    if (!t) this.transports.set(node.name, (t = this.make(node.name)));
    return t;
  }
  async closeAll(): Promise<void> {}
  commands(): Record<string, string[]> {
    return Object.fromEntries([...this.transports].filter(([, t]) => t.commands.length).map(([n, t]) => [n, t.commands]));
  }
}

export interface FixtureRun {
  changes: Change[];
  /** What applying did: the pool of the apply run (the fixture's node included). */
  applied?: RecordingPool;
}

/**
 * Plans the fixture's node with the phase's steps and checks the result against the fixture; then, when the
 * fixture lists commands or files, applies the plan with recording transports and checks those too.
 */
export async function runPlanFixture(
  phase: Phase,
  fx: PlanFixture,
  baseDir: string,
  makeTransport?: (name: string) => RecordingTransport,
  /** The fixture's file: with KUBELAB_UPDATE_FIXTURES=1, its steps and commands are rewritten from this run. */
  fixtureFile?: string,
): Promise<FixtureRun> {
  const update = fixtureFile !== undefined && process.env.KUBELAB_UPDATE_FIXTURES === '1' && fx.error === undefined ? fixtureFile : undefined;
  const inv = testInventory(fx.spec ?? {});
  const node = inv.spec.nodes.find((n) => n.name === fx.node);
  assert.ok(node, `no node ${fx.node} in the test inventory`);
  const facts = new RecordedFacts(fx.facts, baseDir);
  const others = Object.entries(fx.clusterFacts ?? {}).map(([name, answers]) => [name, new RecordedFacts(answers, baseDir)] as const);
  const artifacts = fx.artifacts;
  const settings = { ...(artifacts ? { installArtifacts: async () => artifacts } : {}), ...(fx.api ? seedSettings() : {}) };
  const cluster = (mode: 'plan' | 'apply', transports: RecordingPool): ClusterContext => {
    const c = testCluster(inv, mode, transports, new Map<string, unknown>(others.map(([name, f]) => [remoteFactsKey(name), f])), settings);
    if (fx.api) setClusterApi(c, new FakeApi(loadScenario(fx.api, baseDir)));
    return c;
  };

  const planPool = new RecordingPool(makeTransport);
  const planHost = hostContext(cluster('plan', planPool), node, planPool.get(node), facts);
  const planned: Record<string, string[]> = {};
  const changes: Change[] = [];
  for (const step of phase.steps.filter((s) => s.appliesTo?.(node, inv) ?? true)) {
    if (fx.error?.step === step.name) {
      await assert.rejects(step.plan(planHost), (err: Error & { hint?: string }) => {
        assert.ok(err.message.includes(fx.error!.message), `error message: ${err.message}`);
        if (fx.error!.hint !== undefined) assert.ok(err.hint?.includes(fx.error!.hint), `error hint: ${err.hint}`);
        return true;
      });
      assert.deepEqual(planPool.commands(), {}, 'planning runs no command');
      return { changes };
    }
    const stepChanges = await step.plan(planHost);
    planned[step.name] = stepChanges.map((c) => c.description);
    changes.push(...stepChanges);
  }
  assert.equal(fx.error, undefined, 'the fixture expected an error that did not happen');
  if (!update) assert.deepEqual(planned, fx.steps);
  assert.deepEqual([...facts.asked].sort(), Object.keys(fx.facts).sort(), 'every recorded fact is used, and only those');
  assert.deepEqual(planPool.commands(), {}, 'planning runs no command');

  const run: FixtureRun = { changes };
  // update mode applies the plan of a fixture fresh from a recording (no steps yet) to learn its commands
  if ((update && fx.steps === undefined) || fx.commands || fx.files || fx.filesContain || fx.clusterCommands) {
    const answers = Object.fromEntries(
      Object.entries(fx.commandAnswers ?? {}).map(([line, a]) => [
        line,
        a.stdoutFile ? { ...a, stdout: readFileSync(`${baseDir}/${a.stdoutFile}`, 'utf8') } : a,
      ]),
    );
    const pool = new RecordingPool(makeTransport ?? ((n) => new RecordingTransport(n, n === node.name ? answers : {})));
    const rec = pool.get(node);
    const applyHost = hostContext(cluster('apply', pool), node, rec, facts);
    try {
      for (const c of changes) await c.apply(applyHost);
    } catch (err) {
      if (!update) throw err;
      // update mode: the planned steps are still worth writing; the commands are not known
      writeExpectations(update, planned, undefined, {});
      throw new Error(`${update}: steps written; applying the plan failed, so its commands were not: ${(err as Error).message}`);
    }
    const elsewhere = Object.fromEntries(Object.entries(pool.commands()).filter(([n]) => n !== node.name));
    if (update) {
      writeExpectations(update, planned, rec.commands, elsewhere);
    } else {
      if (fx.commands) assert.deepEqual(rec.commands, fx.commands);
      assert.deepEqual(elsewhere, fx.clusterCommands ?? {}, 'commands on other nodes');
    }
    for (const [path, content] of Object.entries(fx.files ?? {})) {
      assert.equal(rec.puts.get(path)?.content, content, `content of ${path}`);
    }
    for (const [path, parts] of Object.entries(fx.filesContain ?? {})) {
      const content = rec.puts.get(path)?.content;
      assert.ok(content !== undefined, `${path} was uploaded`);
      for (const part of parts) assert.ok(content.includes(part), `${path} contains ${JSON.stringify(part)}:\n${content}`);
    }
    run.applied = pool;
  }
  for (const [name, f] of others) {
    assert.deepEqual([...f.asked].sort(), Object.keys(fx.clusterFacts![name]!).sort(), `every recorded fact of ${name} is used, and only those`);
  }
  return run;
}

/**
 * Update mode: the fixture file with steps, commands and clusterCommands as this run planned and applied them.
 * A fixture that already expects exactly these is left as it is, byte for byte (its layout included): only the
 * fixtures whose expectations changed show in the diff. Commands are written into a fixture that lists them, or
 * that has no steps yet (fresh from record-to-fixture). True when the file was written.
 */
export function writeExpectations(file: string, steps: Record<string, string[]>, commands: string[] | undefined, clusterCommands: Record<string, string[]>): boolean {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const before: unknown = doc.toJS();
  // a fixture fresh from record-to-fixture (no steps yet) gets its commands; one that lists none (its files or the
  // phase's own tests say what applying does) is not given them
  const fresh = !doc.has('steps');
  doc.set('steps', steps);
  if (commands && (fresh ? commands.length > 0 : doc.has('commands'))) doc.set('commands', commands);
  if (Object.keys(clusterCommands).length) doc.set('clusterCommands', clusterCommands);
  else doc.delete('clusterCommands');
  if (isDeepStrictEqual(doc.toJS(), before)) return false;
  writeFileSync(file, doc.toString({ lineWidth: 0 }));
  return true;
}
