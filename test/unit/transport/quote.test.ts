import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

import { shJoin, shQuote } from '../../../scripts/transport/quote.js';

const NASTY = [
  '',
  ' ',
  'plain',
  'with space',
  "it's",
  "''",
  "'",
  '"double" quotes',
  'back\\slash\\',
  '$HOME ${HOME} $(id -u) `id -u`',
  '*',
  '/etc/*.conf',
  '?[a-z]',
  '~root',
  '#not a comment',
  'a;b && c || d | e & f',
  '<in >out 2>&1',
  'line1\nline2\n',
  '\ttab\r\n',
  'ünïcödé ✓ 漢字 🚀',
  '-n',
  '--flag=value',
  '!bang',
  '{a,b}',
  'x=1',
  "mixed '\"$`\\\n*?~",
];

test('shQuote leaves safe words bare', () => {
  for (const w of ['abc', 'A_Z-09', '/usr/bin/env', 'key=value', 'a+b', 'host:6443', 'a.b,c@d%e^f']) {
    assert.equal(shQuote(w), w);
  }
});

test('shQuote quotes everything else with single quotes', () => {
  assert.equal(shQuote(''), "''");
  assert.equal(shQuote('a b'), "'a b'");
  assert.equal(shQuote("it's"), `'it'\\''s'`);
  assert.equal(shQuote('$x'), "'$x'");
  assert.equal(shQuote('~'), "'~'");
  assert.equal(shQuote('a\nb'), "'a\nb'");
  assert.ok(!shQuote('ünï').startsWith('$'), 'no bash-only $-quoting');
});

test('shJoin joins quoted words with spaces', () => {
  assert.equal(shJoin(['echo', 'a b', '', "c'd"]), `echo 'a b' '' 'c'\\''d'`);
  assert.equal(shJoin([]), '');
});

test('round trip through /bin/sh -c keeps every argument intact', (t) => {
  if (!existsSync('/bin/sh')) return t.skip('/bin/sh not available');
  // printf '%s\0' prints each argument NUL-terminated, so we can split exactly.
  const cmd = shJoin(['printf', '%s\\0', ...NASTY]);
  const res = spawnSync('/bin/sh', ['-c', cmd], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  const got = res.stdout.split('\0');
  got.pop(); // trailing terminator
  assert.deepEqual(got, NASTY);
});

test('round trip survives a second level of quoting (sh -c inside sh -c, as with sudo)', (t) => {
  if (!existsSync('/bin/sh')) return t.skip('/bin/sh not available');
  const inner = shJoin(['printf', '%s\\0', ...NASTY]);
  const outer = shJoin(['sh', '-c', inner]);
  const res = spawnSync('/bin/sh', ['-c', outer], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  const got = res.stdout.split('\0');
  got.pop();
  assert.deepEqual(got, NASTY);
});

test('shJoin keeps the first word a command name (no assignment, no reserved word)', () => {
  assert.equal(shJoin(['A=1', 'B=2']), "'A=1' B=2");
  assert.equal(shJoin(['if', 'then']), "'if' then");
  const res = spawnSync('/bin/sh', ['-c', shJoin(['FOO=bar', 'x'])], { encoding: 'utf8' });
  assert.equal(res.status, 127, 'the shell looked for a command named FOO=bar');
});

test('shQuote rejects non-strings', () => {
  assert.throws(() => shQuote(undefined as unknown as string), TypeError);
});
