import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { OutputCapture } from '../../../scripts/transport/output.js';
import { redact } from '../../../scripts/transport/redact.js';

const work = mkdtempSync(join(tmpdir(), 'kubelab-output-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Feeds text in chunks of `size` bytes. */
function feed(c: OutputCapture, text: string, size: number): void {
  const buf = Buffer.from(text, 'utf8');
  for (let i = 0; i < buf.length; i += size) c.push(buf.subarray(i, i + size));
}

test('a small output is kept whole and written nowhere', async () => {
  const dir = join(work, 'small');
  const c = new OutputCapture({ keepBytes: 100, spillDir: dir, spillAt: 50 });
  feed(c, 'hello\nworld\n', 4);
  assert.deepEqual(await c.finish(), { text: 'hello\nworld\n', cut: 0, total: 12 });
  assert.throws(() => readdirSync(dir), /ENOENT/);
});

test('a large output keeps only its tail in memory and goes whole, redacted, to a file named by its content', async () => {
  const dir = join(work, 'large');
  const secret = 'pa55word';
  const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} ${i % 97 === 0 ? secret : ''}`).join('\n');
  const c = new OutputCapture({ keepBytes: 1000, spillDir: dir, spillAt: 500, secrets: [secret] });
  feed(c, lines, 7); // 7-byte chunks: the secret is split across chunks many times
  const res = await c.finish();
  const total = Buffer.byteLength(lines);
  assert.equal(res.total, total);
  assert.equal(res.text, lines.slice(-1000));
  assert.equal(res.cut, total - 1000);
  const whole = redact(lines, [secret]);
  assert.ok(res.file);
  const stored = readFileSync(res.file, 'utf8');
  assert.equal(stored, whole);
  assert.ok(!stored.includes(secret));
  assert.equal(res.file, join(dir, `${createHash('sha256').update(whole).digest('hex').slice(0, 32)}.out`));

  // the same output again (another host) is stored once; no partial files are left
  const again = new OutputCapture({ keepBytes: 1000, spillDir: dir, spillAt: 500, secrets: [secret] });
  feed(again, lines, 4096);
  assert.equal((await again.finish()).file, res.file);
  assert.deepEqual(readdirSync(dir), [res.file.slice(dir.length + 1)]);
});

test('without a folder (output not to be logged) nothing is written; the cut starts on a character boundary', async () => {
  const c = new OutputCapture({ keepBytes: 5, spillAt: 1 });
  feed(c, 'ééééé', 1); // 10 bytes, 2 per character
  const res = await c.finish();
  assert.equal(res.file, undefined);
  assert.equal(res.text, 'éé'); // 5 bytes kept, the first one a continuation byte, skipped
  assert.equal(res.cut, 6);
});
