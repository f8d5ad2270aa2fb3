import assert from 'node:assert/strict';
import { test } from 'node:test';

import { shJoin } from '../../../scripts/transport/quote.js';
import { redact, REDACTED } from '../../../scripts/transport/redact.js';

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
