import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { hostContext } from '../../../scripts/engine/run.js';
import { osPhase } from '../../../scripts/phases/os.js';
import type { Transport } from '../../../scripts/transport/types.js';
import { RecordedFacts, type RecordedAnswer } from '../../support/recorded-facts.js';
import { testInventory } from '../../support/inventory.js';

interface OsFixture {
  description: string;
  node: string;
  facts: Record<string, RecordedAnswer>;
  steps?: Record<string, string[]>;
  error?: { step: string; message: string };
}

const dir = fileURLToPath(new URL('../../../../test/fixtures/os/', import.meta.url));
const noTransport = new Proxy({} as Transport, {
  get: (_t, prop) => {
    throw new Error(`planning must not touch the transport (used ${String(prop)})`);
  },
});

describe('os phase planned from recorded facts', () => {
  const inv = testInventory();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const fx = parse(readFileSync(dir + file, 'utf8')) as OsFixture;
    it(`${file}: ${fx.description}`, async () => {
      const node = inv.spec.nodes.find((n) => n.name === fx.node)!;
      const facts = new RecordedFacts(fx.facts);
      const host = hostContext(inv, node, noTransport, facts);
      const planned: Record<string, string[]> = {};
      for (const step of osPhase.steps) {
        if (fx.error?.step === step.name) {
          await assert.rejects(step.plan(host), (err: Error) => {
            assert.match(err.message, new RegExp(fx.error!.message.replace(/[()]/g, '\\$&')));
            return true;
          });
          return;
        }
        planned[step.name] = (await step.plan(host)).map((c) => c.description);
      }
      assert.deepEqual(planned, fx.steps);
      // every recorded fact was needed: fixtures do not carry dead data
      assert.deepEqual([...facts.asked].sort(), Object.keys(fx.facts).sort());
    });
  }
});
