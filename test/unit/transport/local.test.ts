import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { LocalTransport } from '../../../scripts/transport/local.js';
import type { CommandRecord } from '../../../scripts/transport/types.js';

const dir = mkdtempSync(join(tmpdir(), 'kubelab-local-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('exec runs argv without a shell and returns output and exit code', async () => {
  const t = new LocalTransport();
  const weird = ['$HOME', "it's", '*', 'a\nb', ''];
  const r = await t.exec(['printf', '%s\\0', ...weird]);
  assert.equal(r.code, 0);
  assert.deepEqual(r.stdout.split('\0').slice(0, -1), weird);
  const f = await t.exec(['sh', '-c', 'echo oops >&2; exit 3']);
  assert.equal(f.code, 3);
  assert.equal(f.stderr, 'oops\n');
});

test('exec passes stdin and reports a missing command as 127', async () => {
  const t = new LocalTransport();
  assert.equal((await t.exec(['cat'], { stdin: 'hello' })).stdout, 'hello');
  assert.equal((await t.exec(['/nonexistent/kubelab-cmd'])).code, 127);
});

test('exec timeout throws TransportError(timeout)', async () => {
  const t = new LocalTransport({ name: 'ws' });
  const start = Date.now();
  await assert.rejects(t.exec(['sleep', '5'], { timeoutMs: 200 }), { name: 'TransportError', kind: 'timeout', host: 'ws' });
  assert.ok(Date.now() - start < 2000);
});

test('exec logs with secrets redacted', async () => {
  const records: CommandRecord[] = [];
  const t = new LocalTransport({ logger: { record: (e) => records.push(e) } });
  await t.exec(['echo', 'tok-123'], { secrets: ['tok-123'] });
  assert.equal(records.length, 1);
  assert.ok(!JSON.stringify(records).includes('tok-123'));
});

test('put writes atomically with mode and creates the directory', async () => {
  const t = new LocalTransport();
  const dest = join(dir, 'a', 'b', 'file.conf');
  await t.put('content\n', dest, { mode: 0o640 });
  assert.equal(readFileSync(dest, 'utf8'), 'content\n');
  assert.equal(statSync(dest).mode & 0o777, 0o640);
  await t.put(Buffer.from('v2'), dest, { mode: 0o600 });
  assert.equal(readFileSync(dest, 'utf8'), 'v2');
  assert.equal(statSync(dest).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(join(dir, 'a', 'b')), ['file.conf']);
});
