import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { pruneRunLogs, RunLogs, runId } from '../../../scripts/engine/host-log.js';

const work = mkdtempSync(join(tmpdir(), 'kubelab-host-log-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('pruneRunLogs keeps the newest runs (the current one always) and touches nothing else', () => {
  const logs = join(work, 'prune');
  const runs = Array.from({ length: 6 }, (_, i) => runId(new Date(Date.UTC(2026, 0, 1, 10, i))));
  for (const r of runs) {
    mkdirSync(join(logs, r), { recursive: true });
    writeFileSync(join(logs, r, 'n1.log'), 'x');
  }
  mkdirSync(join(logs, 'notes'));
  writeFileSync(join(logs, 'README'), 'mine');
  const removed = pruneRunLogs(logs, 3, join(logs, runs[5]!));
  assert.deepEqual(removed, runs.slice(0, 3));
  assert.deepEqual(readdirSync(logs).sort(), [...runs.slice(3), 'README', 'notes'].sort());
  // an older folder named as "current" (clock set back) is still kept, with the newest others
  pruneRunLogs(logs, 2, join(logs, runs[3]!));
  assert.deepEqual(readdirSync(logs).sort(), [runs[3], runs[5], 'README', 'notes'].sort());
  assert.deepEqual(pruneRunLogs(join(work, 'missing'), 1), []);
});

test('a command record whose output went to a file names that file instead of repeating the output', async () => {
  const dir = join(work, 'run');
  const logs = new RunLogs(dir, ['hunter2']);
  logs.record({ host: 'n1', command: 'yes', code: 0, durationMs: 5, stdout: '', stderr: 'hunter2 oops', stdoutFile: join(logs.spillDir, 'abc.out') });
  await logs.close();
  const text = readFileSync(join(dir, 'n1.log'), 'utf8');
  assert.match(text, /stdout: in outputs\/abc\.out\n/);
  assert.match(text, /stderr:\n<redacted> oops/);
});
