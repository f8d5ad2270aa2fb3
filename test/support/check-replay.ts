/** The smoke checks replayed on a check scenario (recorded or hand-written): FakeApi, its SSH answers, a fake clock. */
import assert from 'node:assert/strict';
import { CHECKS } from '../../scripts/checks/index.js';
import { runChecks, SMOKE_NAMESPACE, type NamespaceCleanup } from '../../scripts/checks/runner.js';
import type { CheckName, CheckResult } from '../../scripts/checks/types.js';
import type { Inventory } from '../../scripts/inventory/types.js';
import { selectByName } from '../../scripts/util/select.js';
import { fakeClock, FakeSshPool, loadScenario, scenarioInventory, TEST_SETTINGS, type Scenario } from './check-scenario.js';
import { FakeApi } from './fake-api.js';

export interface Replayed {
  results: CheckResult[];
  cleanup: NamespaceCleanup;
  api: FakeApi;
  ssh: FakeSshPool;
  slept: number;
  by(name: CheckName): CheckResult;
}

/** Runs the checks (`only`, or all) on the scenario; the smoke namespace must be gone at the end, cleanly (unless namespaceStays). */
export async function replayChecks(
  scenario: string | Scenario,
  only?: CheckName[],
  /** namespaceStays: the scenario's smoke namespace cannot be deleted (recorded stuck Terminating). */
  opts: { inv?: (s: Scenario) => Inventory; api?: (api: FakeApi) => void; namespaceStays?: boolean } = {},
): Promise<Replayed> {
  const s = typeof scenario === 'string' ? loadScenario(scenario) : scenario;
  const api = new FakeApi(s);
  opts.api?.(api);
  const ssh = new FakeSshPool(s.ssh);
  const clock = fakeClock();
  const { results, cleanup } = await runChecks({
    inv: opts.inv ? opts.inv(s) : scenarioInventory(s),
    api,
    transports: ssh,
    checks: selectByName(CHECKS, only, 'check'),
    settings: TEST_SETTINGS,
    runId: s.runId,
    now: clock.now,
    sleep: clock.sleep,
  });
  if (!opts.namespaceStays) {
    assert.equal(api.namespaces.has(SMOKE_NAMESPACE), false, 'the smoke namespace is gone at the end');
    assert.equal(cleanup.error, undefined);
  }
  return { results, cleanup, api, ssh, slept: clock.slept(), by: (n) => results.find((r) => r.name === n)! };
}

/** Each check's status, in the order the checks run: `except` for the checks it names, passed for the others. */
export function assertStatuses(r: Pick<Replayed, 'results'>, except: Partial<Record<CheckName, CheckResult['status']>> = {}): void {
  assert.deepEqual(
    r.results.map((x) => [x.name, x.status]),
    CHECKS.map((c) => [c.name, except[c.name] ?? 'passed']),
    JSON.stringify(r.results, null, 2),
  );
}
