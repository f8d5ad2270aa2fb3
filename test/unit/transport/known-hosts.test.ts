import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import {
  KnownHosts,
  fingerprintOfBlob,
  findEntries,
  keyTypeOfBlob,
  knownHostsName,
} from '../../../scripts/transport/known-hosts.js';
import { TransportError } from '../../../scripts/transport/types.js';

const dir = mkdtempSync(join(tmpdir(), 'kubelab-kh-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fakeBlob(type: string, body: string): Buffer {
  const t = Buffer.from(type);
  const b = Buffer.from(body);
  const out = Buffer.alloc(8 + t.length + b.length);
  out.writeUInt32BE(t.length, 0);
  t.copy(out, 4);
  out.writeUInt32BE(b.length, 4 + t.length);
  b.copy(out, 8 + t.length);
  return out;
}

function hasSshKeygen(): boolean {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return (err as { status?: number }).status !== undefined && (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** A real ed25519 public key blob from ssh-keygen, with the line it printed. */
function realKey(name: string): { blob: Buffer; line: string; fp: string } {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'c', '-f', path]);
  const line = readFileSync(`${path}.pub`, 'utf8').trim();
  const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
  return { blob: Buffer.from(line.split(' ')[1]!, 'base64'), line, fp };
}

test('key type and fingerprint come from the blob', () => {
  const blob = fakeBlob('ssh-ed25519', 'x'.repeat(32));
  assert.equal(keyTypeOfBlob(blob), 'ssh-ed25519');
  assert.match(fingerprintOfBlob(blob), /^SHA256:[A-Za-z0-9+/]{43}$/);
  assert.throws(() => keyTypeOfBlob(Buffer.from([0, 0, 0])));
  assert.throws(() => keyTypeOfBlob(Buffer.from([0, 0, 1, 0, 1])));
});

test('fingerprint matches ssh-keygen -l', (t) => {
  if (!hasSshKeygen()) return t.skip('ssh-keygen not installed');
  const k = realKey('fp');
  assert.equal(fingerprintOfBlob(k.blob), k.fp);
});

test('known_hosts names follow OpenSSH', () => {
  assert.equal(knownHostsName('10.0.0.1', 22), '10.0.0.1');
  assert.equal(knownHostsName('Node1', 2222), '[node1]:2222');
});

test('trust on first use records, accepts the same key, refuses a changed key', async () => {
  const file = join(dir, 'tofu', 'sub', 'known_hosts');
  const kh = new KnownHosts(file);
  const k1 = fakeBlob('ssh-ed25519', 'a'.repeat(32));
  const k2 = fakeBlob('ssh-ed25519', 'b'.repeat(32));
  assert.equal(await kh.verify('10.0.0.5', 2222, k1, 'cp1'), 'recorded');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(readFileSync(file, 'utf8'), `[10.0.0.5]:2222 ssh-ed25519 ${k1.toString('base64')}\n`);
  assert.equal(await kh.verify('10.0.0.5', 2222, k1, 'cp1'), 'known');
  // another port of the same host is a different entry
  assert.equal(await kh.verify('10.0.0.5', 22, k2, 'cp1'), 'recorded');

  await assert.rejects(kh.verify('10.0.0.5', 2222, k2, 'cp1'), (err: unknown) => {
    assert.ok(err instanceof TransportError);
    assert.equal(err.kind, 'hostkey');
    assert.equal(err.host, 'cp1');
    assert.match(err.message, /10\.0\.0\.5:2222/);
    assert.ok(err.message.includes(fingerprintOfBlob(k1)), err.message);
    assert.ok(err.message.includes(fingerprintOfBlob(k2)), err.message);
    assert.equal(err.hint?.includes(`ssh-keygen -R '[10.0.0.5]:2222' -f ${file}`), true, err.hint);
    return true;
  });
});

test('concurrent first use of many hosts writes one line each', async () => {
  const file = join(dir, 'many', 'known_hosts');
  const kh = new KnownHosts(file);
  await Promise.all(
    Array.from({ length: 30 }, (_, i) => kh.verify('127.0.0.1', 3000 + (i % 10), fakeBlob('ssh-ed25519', `k${i % 10}`.padEnd(32)))),
  );
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 10);
});

test('parses comma lists, hashed hosts, comments and @revoked', async (t) => {
  const k = fakeBlob('ssh-ed25519', 'c'.repeat(32));
  const b64 = k.toString('base64');
  const text = [
    '# comment',
    '',
    `other,[h.example]:2200 ssh-ed25519 ${b64}`,
    `*.wild ssh-ed25519 ${b64}`,
    `@revoked [r]:1 ssh-ed25519 ${b64}`,
  ].join('\n');
  assert.equal(findEntries(text, 'h.example', 2200).length, 1);
  assert.equal(findEntries(text, 'x.wild', 22).length, 0);
  assert.equal(findEntries(text, 'r', 1)[0]?.marker, '@revoked');
  const file = join(dir, 'revoked');
  writeFileSync(file, text);
  await assert.rejects(new KnownHosts(file).verify('r', 1, k), { kind: 'hostkey' });

  if (!hasSshKeygen()) return t.skip('ssh-keygen not installed');
  const hashedFile = join(dir, 'hashed');
  writeFileSync(hashedFile, `[hashed.example]:2022 ssh-ed25519 ${b64}\n`);
  execFileSync('ssh-keygen', ['-H', '-f', hashedFile], { stdio: 'ignore' });
  assert.match(readFileSync(hashedFile, 'utf8'), /^\|1\|/);
  assert.equal(await new KnownHosts(hashedFile).verify('hashed.example', 2022, k), 'known');
});

test('the file works with ssh-keygen -F and the hint (ssh-keygen -R) really removes the entry', async (t) => {
  if (!hasSshKeygen()) return t.skip('ssh-keygen not installed');
  const file = join(dir, 'compat', 'known_hosts');
  const kh = new KnownHosts(file);
  const k1 = realKey('compat1');
  const k2 = realKey('compat2');
  await kh.verify('127.0.0.1', 2299, k1.blob);
  const found = execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2299', '-f', file], { encoding: 'utf8' });
  assert.ok(found.includes(k1.line.split(' ')[1]!));
  let hint = '';
  await assert.rejects(kh.verify('127.0.0.1', 2299, k2.blob), (err: TransportError) => {
    hint = err.hint ?? '';
    return err.kind === 'hostkey';
  });
  const cmd = hint.slice(hint.indexOf('ssh-keygen -R'));
  execFileSync('sh', ['-c', cmd], { stdio: 'ignore' });
  assert.equal(await kh.verify('127.0.0.1', 2299, k2.blob), 'recorded');
});

test('forget drops only the keys of that host:port, and a new key is then recorded on first use', async () => {
  const file = join(dir, 'forget', 'known_hosts');
  const kh = new KnownHosts(file);
  const oldKey = fakeBlob('ssh-ed25519', 'old-vm-key');
  await kh.add('127.0.0.1', 2220, oldKey);
  await kh.add('127.0.0.1', 2221, fakeBlob('ssh-ed25519', 'other-vm'));
  await assert.rejects(kh.verify('127.0.0.1', 2220, fakeBlob('ssh-ed25519', 'rebuilt-vm')), TransportError);
  assert.equal(await kh.forget('127.0.0.1', 2220), 1);
  assert.equal(await kh.forget('127.0.0.1', 2220), 0);
  assert.equal(await kh.verify('127.0.0.1', 2220, fakeBlob('ssh-ed25519', 'rebuilt-vm')), 'recorded');
  assert.equal((await kh.entries('127.0.0.1', 2221)).length, 1, 'the other VM keeps its key');
  assert.equal(statSync(file).mode & 0o777, 0o600);
});
