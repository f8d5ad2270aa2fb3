/**
 * Record mode's ClusterApi (k8s/recording-api.ts): the checks run against a recorded cluster through the
 * decorator write a folder that, made a check scenario by the converter, replays to the same results; Secrets'
 * data never reaches the recording.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CHECKS } from '../../../scripts/checks/index.js';
import { runChecks } from '../../../scripts/checks/runner.js';
import { Recording } from '../../../scripts/engine/recording.js';
import { recordingApi } from '../../../scripts/k8s/recording-api.js';
import { fakeClock, FakeSshPool, loadScenario, scenarioInventory, TEST_SETTINGS, type Scenario } from '../../support/check-scenario.js';
import { FakeApi } from '../../support/fake-api.js';
import { scenarioFromRecording } from '../../support/record-to-fixture.js';
import type { ClusterApi } from '../../../scripts/k8s/cluster-api.js';
import type { TransportPool } from '../../../scripts/engine/types.js';

async function checks(s: Scenario, api: ClusterApi, transports: TransportPool, recorder?: Recording) {
  const clock = fakeClock();
  const { results } = await runChecks({
    inv: scenarioInventory(s),
    api,
    transports,
    ...(recorder ? { recorder } : {}),
    checks: CHECKS,
    settings: TEST_SETTINGS,
    runId: s.runId,
    now: clock.now,
    sleep: clock.sleep,
  });
  return results.map((r) => ({ name: r.name, status: r.status, detail: r.detail, diagnosis: r.diagnosis }));
}

describe('record mode: the API answers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubelab-record-api-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of ['passing', 'crashloop', 'metrics-unavailable']) {
    it(`what the checks read of the ${name} cluster, recorded and converted, replays to the same results`, async () => {
      const s = loadScenario(name);
      const rec = new Recording(join(dir, name));
      rec.writeCommand(['check']);
      const live = await checks(s, recordingApi(new FakeApi(s), rec), new FakeSshPool(s.ssh), rec);
      for (const f of ['nodes.json', 'namespaces.json', 'smoke.json', 'run.json']) assert.ok(existsSync(join(dir, name, 'api', f)), f);

      scenarioFromRecording(join(dir, name), join(dir, 'scenarios', name), `recorded ${name}`);
      const recorded = loadScenario(name, join(dir, 'scenarios'));
      assert.equal(recorded.description, `recorded ${name}`);
      assert.equal(recorded.runId, s.runId, 'the run id the checks used (run.json)');
      if (name === 'passing') assert.deepEqual(recorded.ssh, s.ssh, 'the checks\' SSH answers, keyed by argv');
      const replayed = await checks(recorded, new FakeApi(recorded), new FakeSshPool(recorded.ssh));
      assert.deepEqual(replayed, live);
    });
  }

  it('keeps a Secret\'s keys and never its values (a bootstrap token\'s token-secret)', async () => {
    const secret = 'k9x3m2p7q1w5z8r4';
    const obj = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'bootstrap-token-abc123', namespace: 'kube-system' },
      type: 'bootstrap.kubernetes.io/token',
      data: { 'token-id': Buffer.from('abc123').toString('base64'), 'token-secret': Buffer.from(secret).toString('base64') },
      stringData: { 'token-secret': secret },
    };
    const fake = new FakeApi();
    await fake.apply([obj]);
    const rec = new Recording(join(dir, 'secret'));
    const read = await recordingApi(fake, rec).read(obj);
    assert.equal((read as { data: Record<string, string> }).data['token-secret'], obj.data['token-secret'], 'the caller gets the real object');
    const file = join(dir, 'secret', 'api', 'objects', 'Secret', 'kube-system', 'bootstrap-token-abc123.json');
    const written = JSON.parse(readFileSync(file, 'utf8')) as { data: Record<string, string>; stringData: Record<string, string> };
    assert.deepEqual(Object.keys(written.data), ['token-id', 'token-secret']);
    assert.equal(written.data['token-secret'], '<redacted>');
    for (const f of readdirSync(join(dir, 'secret'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile())) {
      const text = readFileSync(join(f.parentPath, f.name), 'utf8');
      assert.ok(!text.includes(secret) && !text.includes(obj.data['token-secret']!), `${f.name}: ${text}`);
    }
  });
});
