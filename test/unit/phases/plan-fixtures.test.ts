import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { hostContext } from '../../../scripts/engine/run.js';
import { PHASES } from '../../../scripts/phases/index.js';
import { RecordedFacts, type RecordedAnswer } from '../../support/recorded-facts.js';
import { RecordingTransport } from '../../support/recording-transport.js';
import { testInventory } from '../../support/inventory.js';

/**
 * Planning as data (pyinfra style): given these recorded facts on this node, each step plans exactly these
 * changes; applying them issues exactly these commands and uploads these files. Fixtures live in
 * test/fixtures/plan/<phase>/*.yaml.
 */
interface PlanFixture {
  description: string;
  node: string;
  /** Merged over the test inventory's spec (e.g. runtime or nfs settings). */
  spec?: Record<string, unknown>;
  facts: Record<string, RecordedAnswer>;
  steps?: Record<string, string[]>;
  error?: { step: string; message: string };
  /** Commands run by applying the plan, in order ("put <path> <mode>" for uploads). */
  commands?: string[];
  /** Exact content of uploaded files. */
  files?: Record<string, string>;
}

const root = fileURLToPath(new URL('../../../../test/fixtures/plan/', import.meta.url));

for (const phaseName of readdirSync(root)) {
  const phase = PHASES.find((p) => p.name === phaseName);
  describe(`${phaseName} phase planned from recorded facts`, () => {
    it('names a real phase', () => assert.ok(phase, `no phase ${phaseName}`));
    for (const file of readdirSync(root + phaseName).filter((f) => f.endsWith('.yaml'))) {
      const fx = parse(readFileSync(`${root}${phaseName}/${file}`, 'utf8')) as PlanFixture;
      it(`${file}: ${fx.description}`, async () => {
        const inv = testInventory(fx.spec ?? {});
        const node = inv.spec.nodes.find((n) => n.name === fx.node)!;
        const facts = new RecordedFacts(fx.facts, root + phaseName);
        const cluster = (mode: 'plan' | 'apply') => ({
          inv,
          mode,
          transports: { get: (n: { name: string }) => new RecordingTransport(n.name), closeAll: async () => {} },
          state: new Map<string, unknown>(),
        });
        const planHost = hostContext(cluster('plan'), node, new RecordingTransport('plan'), facts);
        const planned: Record<string, string[]> = {};
        const changes = [];
        for (const step of phase!.steps.filter((s) => s.appliesTo?.(node, inv) ?? true)) {
          if (fx.error?.step === step.name) {
            await assert.rejects(step.plan(planHost), (err: Error) => err.message.includes(fx.error!.message));
            return;
          }
          const stepChanges = await step.plan(planHost);
          planned[step.name] = stepChanges.map((c) => c.description);
          changes.push(...stepChanges);
        }
        assert.equal(fx.error, undefined, 'the fixture expected an error that did not happen');
        assert.deepEqual(planned, fx.steps);
        assert.deepEqual([...facts.asked].sort(), Object.keys(fx.facts).sort(), 'every recorded fact is used, and only those');

        if (!fx.commands && !fx.files) return;
        const rec = new RecordingTransport(node.name);
        const applyHost = hostContext(cluster('apply'), node, rec, facts);
        for (const c of changes) await c.apply(applyHost);
        if (fx.commands) assert.deepEqual(rec.commands, fx.commands);
        for (const [path, content] of Object.entries(fx.files ?? {})) {
          assert.equal(rec.puts.get(path)?.content, content, `content of ${path}`);
        }
      });
    }
  });
}
