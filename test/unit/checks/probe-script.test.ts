/**
 * The probe pods' script (checks/smoke-pods.ts PROBE_SCRIPT) run by a real sh, with a curl on PATH that is
 * refused a given number of times first (as a NodePort is while kube-proxy has not programmed it yet).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseProbeReport, PROBE_SCRIPT } from '../../../scripts/checks/smoke-pods.js';

const dir = mkdtempSync(join(tmpdir(), 'kubelab-probe-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A curl refused `refusals` times per URL (counted in files), then answering 200 on stdout as `-w %{http_code}`. */
writeFileSync(
  join(dir, 'curl'),
  [
    '#!/bin/sh',
    'for a do url=$a; done',
    'f="$COUNTS/$(printf %s "$url" | tr -c "a-zA-Z0-9" _)"',
    'n=$(cat "$f" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$f"',
    'if [ "$n" -le "$REFUSALS" ]; then printf "curl: (7) Failed to connect to %s: Couldn\'t connect to server\\n" "$url" >&2; printf 000; exit 7; fi',
    'printf 200',
  ].join('\n'),
);
chmodSync(join(dir, 'curl'), 0o755);

function probe(budgetSeconds: number, refusals: number, targets: string[]): { code: number; report: string; calls: number; ms: number } {
  const counts = mkdtempSync(join(dir, 'counts-'));
  const log = join(counts, 'termination-log');
  const script = PROBE_SCRIPT.replaceAll('/dev/termination-log', log);
  const t0 = Date.now();
  const r = spawnSync('sh', ['-c', script, 'sh', String(budgetSeconds), ...targets], {
    env: { PATH: `${dir}:/usr/bin:/bin`, COUNTS: counts, REFUSALS: String(refusals) },
    encoding: 'utf8',
  });
  const calls = readdirSync(counts)
    .filter((f) => f.startsWith('http'))
    .reduce((sum, f) => sum + Number(readFileSync(join(counts, f), 'utf8')), 0);
  return { code: r.status ?? -1, report: readFileSync(log, 'utf8'), calls, ms: Date.now() - t0 };
}

describe('PROBE_SCRIPT (the services and pod-network probe pods)', () => {
  it('a target refused at first answers within the budget: reported ok, exit 0', () => {
    // a budget far above the few seconds the retries need, so that a loaded machine cannot run it out (this test
    // failed once, not reproduced, while the cluster suite and other tests ran beside it with a 10 s budget)
    const r = probe(60, 2, ['nodeport@master=http://192.168.56.10:31608/hostname', 'clusterip=http://10.96.0.20:80/hostname']);
    assert.equal(r.code, 0, r.report);
    const report = parseProbeReport(r.report);
    assert.equal(report.get('nodeport@master')?.ok, true);
    assert.equal(report.get('clusterip')?.ok, true);
    assert.equal(r.calls, 6, 'each target retried until it answered (2 refusals + 1 answer each)');
  });

  it('a target refused for longer than the budget is reported with curl\'s error after about the budget, exit 1', () => {
    const r = probe(2, 1000, ['nodeport@master=http://192.168.56.10:31608/hostname']);
    assert.equal(r.code, 1);
    const got = parseProbeReport(r.report).get('nodeport@master');
    assert.equal(got?.ok, false);
    assert.match(got?.error ?? '', /Couldn't connect to server/);
    // it kept trying for the budget (a lower bound: behaviour); the upper bound only catches a probe that never gives
    // up, generous for a busy machine (timings are the benchmark's business)
    assert.ok(r.ms >= 1500, `${r.ms} ms for a 2 s budget: it gave up before the budget`);
    assert.ok(r.ms < 60_000, `${r.ms} ms for a 2 s budget: it did not give up`);
  });

  it('budget 0: each target tried exactly once', () => {
    const r = probe(0, 1, ['a=http://a/', 'b=http://b/']);
    assert.equal(r.code, 1);
    assert.equal(r.calls, 2);
    assert.deepEqual([...parseProbeReport(r.report).values()].map((x) => x.ok), [false, false]);
  });
});
