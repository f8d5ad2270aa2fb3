import assert from 'node:assert/strict';
import { test } from 'node:test';

import { shJoin } from '../../../scripts/transport/quote.js';
import { redact, REDACTED, StreamRedactor } from '../../../scripts/transport/redact.js';

test('redact replaces every occurrence', () => {
  assert.equal(redact('token abc and abc again', ['abc']), `token ${REDACTED} and ${REDACTED} again`);
});

test('redact ignores empty and missing secrets', () => {
  assert.equal(redact('text', ['', undefined, null]), 'text');
  assert.equal(redact('text', undefined), 'text');
  assert.equal(redact('', ['x']), '');
});

test('redact replaces the longest secret first', () => {
  assert.equal(redact('pw=secret123', ['secret', 'secret123']), `pw=${REDACTED}`);
});

test('redact catches secrets inside shell-quoted commands (once and twice quoted)', () => {
  const secret = `p'a$s"w`;
  const once = shJoin(['kubeadm', 'join', '--token', secret, `--x=${secret}`]);
  assert.ok(!redact(once, [secret]).includes('a$s'), redact(once, [secret]));
  const twice = shJoin(['sh', '-c', once]);
  assert.ok(!redact(twice, [secret]).includes('a$s'), redact(twice, [secret]));
});

test('redact treats regex characters literally', () => {
  assert.equal(redact('a.b a*b', ['a*b']), `a.b ${REDACTED}`);
});

test('StreamRedactor redacts a secret split at every possible chunk boundary, like redact() on the whole text', () => {
  const secrets = ['s3cr3t-pw', "it's"];
  const text = `before s3cr3t-pw middle it's and it'\\''s end s3cr3t-pw`;
  const whole = redact(text, secrets);
  assert.ok(!whole.includes('s3cr3t'));
  const bytes = Buffer.from(text, 'utf8');
  for (let a = 0; a <= bytes.length; a++) {
    for (let b = a; b <= bytes.length; b += 3) {
      const r = new StreamRedactor(secrets);
      const out = Buffer.concat([
        r.push(bytes.subarray(0, a)),
        r.push(bytes.subarray(a, b)),
        r.push(bytes.subarray(b)),
        r.end(),
      ]).toString('utf8');
      assert.equal(out, whole, `chunks split at ${a} and ${b}`);
    }
  }
});

test('StreamRedactor with one-byte chunks, and without secrets passes bytes through', () => {
  const r = new StreamRedactor(['token123']);
  const text = 'xtoken123token123y token12 token123';
  const parts = [...Buffer.from(text)].map((b) => r.push(Buffer.from([b])));
  parts.push(r.end());
  assert.equal(Buffer.concat(parts).toString(), redact(text, ['token123']));
  const none = new StreamRedactor([]);
  assert.equal(Buffer.concat([none.push(Buffer.from('ab')), none.end()]).toString(), 'ab');
});
