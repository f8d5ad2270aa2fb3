/**
 * Record mode end to end: `KUBELAB_RECORD=<dir> kubelab plan --only os` (the real CLI) against a real sshd on
 * 127.0.0.1 writes facts/<node>.yaml, command.json and spec.yaml; the recorded answers, replayed through
 * RecordedFacts (argv checked) with the recorded spec, plan the os phase to exactly the changes the live run reported.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sshInventoryYaml, testInventory } from '../../support/inventory.js';
import { hostContext, stepsFor } from '../../../scripts/engine/run.js';
import { PHASES } from '../../../scripts/phases/index.js';
import { testCluster } from '../../support/cluster.js';
import { RecordingPool } from '../../support/plan-fixture.js';
import { RecordedFacts } from '../../support/recorded-facts.js';
import { planFixtureFromRecording, readRecordedCommand, readRecordedFacts } from '../../support/record-to-fixture.js';
import { sshdSkipReason, startSshd, type Sshd } from '../../support/sshd.js';
import { kubelab } from '../../support/cli.js';

describe('record mode against a real sshd', { skip: sshdSkipReason() }, () => {
  let sshd: Sshd;
  let dir: string;
  before(async () => {
    sshd = await startSshd({ ports: 1 });
    dir = mkdtempSync(join(tmpdir(), 'kubelab-record-cli-'));
  });
  after(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kubelab plan --only os records the facts it read; replayed, they plan the same changes', async () => {
    const invFile = join(dir, 'lab.yaml');
    writeFileSync(
      invFile,
      sshInventoryYaml('recordtest', { user: 'root', identityFile: sshd.clientKey }, [
        { name: 'master', role: 'control-plane', address: '192.168.56.10', ssh: { host: '127.0.0.1', port: sshd.ports[0] } },
      ]),
    );
    const recDir = join(dir, 'recording');
    const r = await kubelab(['plan', '-i', 'lab.yaml', '--only', 'os', '--output', 'json'], dir, { KUBELAB_RECORD: 'recording' });
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; phase?: string; step?: string; outcome?: string; changes?: string[]; error?: string });
    const live = events.filter((e) => e.type === 'step');
    assert.ok(live.length > 0, r.stdout + r.stderr);

    assert.deepEqual(readRecordedCommand(recDir).command, ['kubelab', 'plan', '-i', 'lab.yaml', '--only', 'os', '--output', 'json']);
    const entries = readRecordedFacts(recDir, 'master');
    assert.ok(entries.length > 0, 'facts were recorded');
    for (const e of entries) {
      assert.equal(e.phase, 'os');
      assert.equal(e.stage, 'plan');
      assert.ok(live.some((s) => s.step === e.step), `${e.key} asked by a step of the run (${e.step})`);
      assert.ok(Array.isArray(e.argv) && e.argv.length > 0);
    }
    assert.match(readFileSync(join(recDir, 'facts', 'master.yaml'), 'utf8'), /^- phase: os\n {2}step: /);

    // the spec the run planned with, without how the node was reached (its ssh: a port of this test's sshd)
    const { fixture, warnings } = planFixtureFromRecording(recDir, { node: 'master', phase: 'os', description: 'replay' });
    assert.deepEqual(warnings, []);
    assert.deepEqual(fixture.spec, {
      kubernetes: { version: '1.35' },
      network: { nodeCidr: '192.168.56.0/24' },
      nodes: [{ name: 'master', role: 'control-plane', address: '192.168.56.10' }],
    });
    assert.doesNotMatch(readFileSync(join(recDir, 'spec.yaml'), 'utf8'), /ssh|127\.0\.0\.1|identityFile/);

    // replay: the fixture's own inventory (its spec over the test inventory's, as the plan fixtures load it), the
    // os phase's steps, answers from the recording only (argv checked)
    const inv = testInventory(fixture.spec);
    assert.equal(inv.spec.nodes.length, 1, 'the recorded nodes replace the test inventory\'s');
    const node = inv.spec.nodes[0]!;
    const phase = PHASES.find((p) => p.name === 'os')!;
    const facts = new RecordedFacts(fixture.facts);
    const pool = new RecordingPool();
    const host = hostContext(testCluster(inv, 'plan', pool), node, pool.get(node), facts);
    const replayed: { step: string; outcome: string; changes: string[] }[] = [];
    for (const step of stepsFor(phase, node, inv)) {
      try {
        const changes = await step.plan(host);
        replayed.push({ step: step.name, outcome: changes.length ? 'changed' : 'ok', changes: changes.map((c) => c.description) });
      } catch {
        replayed.push({ step: step.name, outcome: 'failed', changes: [] });
        break;
      }
    }
    const liveSteps = live.filter((e) => e.outcome !== 'skipped').map((e) => ({ step: e.step!, outcome: e.outcome!, changes: e.changes ?? [] }));
    assert.deepEqual(replayed, liveSteps);
    assert.deepEqual([...facts.asked].sort(), Object.keys(fixture.facts).sort(), 'every recorded fact is asked again, and only those');
    assert.deepEqual(pool.commands(), {}, 'planning runs no command');
  });
});
