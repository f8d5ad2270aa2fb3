/**
 * Fact fixtures keep the command they answered (RecordedAnswer.argv): a step asking a fact with another command
 * fails. Fixtures written by hand before record mode have no argv; they are counted here (and still accepted)
 * until they are replaced by recorded ones (README "Fixtures are recorded"). A recorded fixture (its header says
 * so) must carry argv on every answer.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import type { Fact } from '../../../scripts/engine/types.js';
import { fileContent } from '../../../scripts/facts/file.js';
import type { PlanFixture } from '../../support/plan-fixture.js';
import { RecordedFacts, type RecordedAnswer } from '../../support/recorded-facts.js';

const root = fileURLToPath(new URL('../../../../test/fixtures/plan/', import.meta.url));

describe('fact fixtures keep the command they answered', () => {
  const fact = fileContent('/etc/hosts');

  it('an answer recorded for the same argv is given; the parser runs on it', async () => {
    const facts = new RecordedFacts({ [fact.key]: { argv: [...fact.argv], stdout: '127.0.0.1 localhost\n' } });
    assert.equal(await facts.get(fact), '127.0.0.1 localhost\n');
  });

  it('a fact asking with another command than the recorded one fails, naming both', async () => {
    const recorded = ['sh', '-c', 'cat -- "$1"', 'sh', '/etc/hosts'];
    const facts = new RecordedFacts({ [fact.key]: { argv: recorded, stdout: '' } });
    await assert.rejects(facts.get(fact), (err: Error) => {
      assert.match(err.message, /fact "file:\/etc\/hosts" asks with a different command than the one recorded/);
      assert.ok(err.message.includes(JSON.stringify(fact.argv)), err.message);
      assert.ok(err.message.includes(JSON.stringify(recorded)), err.message);
      return true;
    });
    const longer: Fact<string> = { ...fact, argv: [...fact.argv, 'extra'], parse: (r) => r.stdout };
    await assert.rejects(new RecordedFacts({ [fact.key]: { argv: [...fact.argv] } }).get(longer), /different command/);
  });

  it('an answer without argv (hand-written, before record mode) is still accepted', async () => {
    assert.equal(await new RecordedFacts({ [fact.key]: { code: 3 } }).get(fact), null);
  });

  it('counts the plan fixtures answers that still lack argv; recorded fixtures have argv on every answer', (t) => {
    let answers = 0;
    let without = 0;
    const byPhase: string[] = [];
    for (const phase of readdirSync(root).sort()) {
      let phaseWithout = 0;
      for (const file of readdirSync(join(root, phase)).filter((f) => f.endsWith('.yaml')).sort()) {
        const text = readFileSync(join(root, phase, file), 'utf8');
        const fx = parse(text) as PlanFixture;
        const all: [string, RecordedAnswer][] = [
          ...Object.entries(fx.facts ?? {}),
          ...Object.values(fx.clusterFacts ?? {}).flatMap((f) => Object.entries(f)),
        ];
        const lacking = all.filter(([, a]) => a.argv === undefined).map(([k]) => k);
        answers += all.length;
        without += lacking.length;
        phaseWithout += lacking.length;
        if (text.startsWith('# Recorded from a real run')) {
          assert.deepEqual(lacking, [], `${phase}/${file} is recorded: every answer keeps its argv`);
        }
        for (const [key, a] of all) {
          if (a.argv !== undefined) assert.ok(Array.isArray(a.argv) && a.argv.every((x) => typeof x === 'string'), `${phase}/${file} ${key}: argv is a list of strings`);
        }
      }
      byPhase.push(`${phase}: ${phaseWithout}`);
    }
    const line = `plan fixture answers without argv (hand-written, to be recorded): ${without} of ${answers} (${byPhase.join(', ')})`;
    t.diagnostic(line);
    process.stdout.write(`# ${line}\n`);
    assert.ok(answers > 0, 'the fixtures were found');
  });
});
