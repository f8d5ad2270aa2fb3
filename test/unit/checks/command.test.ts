/** `kubelab check` behind the connection: output modes, --junit, exit codes; option errors before any connection. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { checkCommand, runCheckCommand } from '../../../scripts/commands/check.js';
import { UsageError } from '../../../scripts/util/errors.js';
import { InventoryError } from '../../../scripts/inventory/errors.js';
import { CHECKS } from '../../../scripts/checks/index.js';
import { selectByName } from '../../../scripts/util/select.js';
import type { CliContext } from '../../../scripts/commands/cli-context.js';
import { FakeApi } from '../../support/fake-api.js';
import { fakeClock, FakeSshPool, loadScenario, scenarioInventory, TEST_SETTINGS, withAddons } from '../../support/check-scenario.js';
import { readSettings } from '../../../scripts/commands/settings.js';

function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough();
  let out = '';
  s.on('data', (d) => (out += d));
  return { stream: s as unknown as NodeJS.WriteStream, text: () => out };
}

async function runCommand(scenario: string, opts: { only?: string[]; output: 'json' | 'plain'; junitFile?: string; addons?: Record<string, Record<string, unknown>> }) {
  const s = loadScenario(scenario);
  const out = capture();
  const err = capture();
  const clock = fakeClock();
  const inv = opts.addons ? withAddons(scenarioInventory(s), opts.addons) : scenarioInventory(s);
  const code = await runCheckCommand({
    inv,
    api: new FakeApi(s),
    transports: new FakeSshPool(s.ssh),
    checks: selectByName(CHECKS, opts.only, 'check'),
    output: opts.output,
    ...(opts.junitFile ? { junitFile: opts.junitFile } : {}),
    stdout: out.stream,
    stderr: err.stream,
    settings: TEST_SETTINGS,
    now: clock.now,
    sleep: clock.sleep,
    runId: s.runId,
    startedAt: new Date('2026-11-23T10:20:00Z'),
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('kubelab check', () => {
  it('--output json: one object per check and a summary; exit 0 when all pass; --junit writes the report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubelab-check-'));
    try {
      const junitFile = join(dir, 'reports', 'check.xml');
      const r = await runCommand('passing', { output: 'json', junitFile });
      assert.equal(r.code, 0);
      assert.equal(r.stderr, '');
      const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(lines.length, 9);
      assert.deepEqual(lines.slice(0, 8).map((l) => [l.type, l.name, l.status, l.ok]), [
        ['check', 'nodes', 'passed', true],
        ['check', 'system-pods', 'passed', true],
        ['check', 'dns', 'passed', true],
        ['check', 'pod-network', 'passed', true],
        ['check', 'services', 'passed', true],
        ['check', 'storage', 'passed', true],
        ['check', 'metrics', 'passed', true],
        ['check', 'monitoring', 'passed', true],
      ]);
      assert.deepEqual(lines[8], { type: 'summary', passed: 8, failed: 0, skipped: 0 });
      const xml = readFileSync(junitFile, 'utf8');
      assert.match(xml, /<testsuite name="kubelab-check" tests="8" failures="0" errors="0" skipped="0" time="0\.000" timestamp="2026-11-23T10:20:00" hostname="[^"]+">/);
      assert.equal((xml.match(/<testcase classname="kubelab-check" name="/g) ?? []).length, 8);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exit 1 when a selected check fails; --only limits the run; the failure carries its diagnosis', async () => {
    const r = await runCommand('node-ip-nat', { output: 'json', only: ['nodes', 'dns'] });
    assert.equal(r.code, 1);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.map((l) => l.name ?? l.type), ['nodes', 'dns', 'summary']);
    assert.equal(lines[0]!.status, 'failed');
    assert.match(String(lines[0]!.diagnosis), /node-ip fix is missing/);
    assert.deepEqual(lines[2], { type: 'summary', passed: 1, failed: 1, skipped: 0 });
  });

  it('skipped checks do not fail the run (plain output)', async () => {
    const r = await runCommand('metrics-unavailable', { output: 'plain', only: ['nodes', 'metrics'], addons: { metricsServer: { enabled: false } } });
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      'nodes ok (0.0s): 2 nodes Ready with their inventory addresses (master, worker1)\n' +
        'metrics skipped: addon metricsServer is not enabled in the inventory (spec.addons.metricsServer.enabled)\n' +
        'checks: 1 passed, 0 failed, 1 skipped\n',
    );
  });

  it('bad options are refused before any connection', async () => {
    const ctx = { stdout: capture().stream, stderr: capture().stream, env: {}, settings: readSettings({}) } as CliContext;
    await assert.rejects(checkCommand(['--only', 'nodes,bogus', '-i', '/nonexistent.yaml'], ctx), (e: Error) => e instanceof UsageError && /unknown check bogus/.test(e.message));
    await assert.rejects(checkCommand(['nodes', '-i', '/nonexistent.yaml'], ctx), (e: Error) => e instanceof UsageError && /unexpected argument nodes/.test(e.message));
    await assert.rejects(checkCommand(['--junit=', '-i', '/nonexistent.yaml'], ctx), (e: Error) => e instanceof UsageError && /--junit/.test(e.message));
    await assert.rejects(checkCommand(['--output', 'xml', '-i', '/nonexistent.yaml'], ctx), (e: Error) => e instanceof UsageError && /--output xml/.test(e.message));
  });

  it('a failure before the first check still ends every output mode with its summary line, saying why none ran', async () => {
    const cases: [string, (out: string) => void][] = [
      ['json', (out) => {
        const last = JSON.parse(out.trimEnd().split('\n').at(-1)!) as Record<string, unknown>;
        assert.deepEqual(last, { type: 'summary', passed: 0, failed: 0, skipped: 0, error: '/nonexistent.yaml: 1 problem in the inventory' });
      }],
      ['plain', (out) => assert.equal(out, 'checks: 0 passed, 0 failed, 0 skipped (none ran: /nonexistent.yaml: 1 problem in the inventory)\n')],
      ['tty', (out) => assert.match(out, /\nchecks: 0 passed, 0 failed, 0 skipped \(none ran: \/nonexistent\.yaml: 1 problem in the inventory\)\n$/)],
    ];
    for (const [mode, expect] of cases) {
      const out = capture();
      const ctx = { stdout: out.stream, stderr: capture().stream, env: {}, settings: readSettings({}) } as CliContext;
      await assert.rejects(checkCommand(['--output', mode, '-i', '/nonexistent.yaml'], ctx), InventoryError);
      expect(out.text());
    }
    // a usage error found after the output mode is known ends the output too
    const out = capture();
    const ctx = { stdout: out.stream, stderr: capture().stream, env: {}, settings: readSettings({}) } as CliContext;
    await assert.rejects(checkCommand(['-o', 'json', '--only', 'bogus', '-i', '/nonexistent.yaml'], ctx), UsageError);
    assert.equal(JSON.parse(out.text()).type, 'summary');
    assert.match(JSON.parse(out.text()).error, /unknown check bogus/);
  });
});
