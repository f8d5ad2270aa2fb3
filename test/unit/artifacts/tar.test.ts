import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, open, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readTar, writeTar } from '../../../scripts/artifacts/tar.js';
import { KubelabError } from '../../../scripts/util/errors.js';

async function gnuTar(files: Record<string, string>, args: string[]): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'kubelab-tar-'));
  const src = join(dir, 'src');
  await mkdir(src);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(src, name, '..'), { recursive: true });
    await writeFile(join(src, name), content, { mode: 0o755 });
  }
  execFileSync('tar', ['-czf', join(dir, 'out.tgz'), '-C', src, ...args]);
  return readFile(join(dir, 'out.tgz'));
}

test('reads the regular files of a GNU tar.gz, names without ./, directories skipped, long names kept', async () => {
  const long = `${'d'.repeat(120)}/${'f'.repeat(110)}`;
  const tgz = await gnuTar({ bridge: 'B', 'sub/loopback': 'L', [long]: 'long' }, ['.']);
  const members = readTar(tgz, 'test.tgz');
  assert.deepEqual(
    members.map((m) => [m.name, m.data.toString(), m.mode]).sort(),
    [['bridge', 'B', 0o755], [long, 'long', 0o755], ['sub/loopback', 'L', 0o755]].sort(),
  );
});

test('a symlink member is refused (regular files only)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kubelab-tar-'));
  await writeFile(join(dir, 'a'), 'x');
  await symlink('/etc/passwd', join(dir, 'link'));
  execFileSync('tar', ['-czf', join(dir, 'out.tgz'), '-C', dir, 'a', 'link']);
  assert.throws(() => readTar(execFileSync('cat', [join(dir, 'out.tgz')]), 'evil.tgz'), (e: Error) => e instanceof KubelabError && /evil\.tgz: refusing tar member "link" of type "2"/.test(e.message));
});

test('path traversal and absolute names are refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kubelab-tar-'));
  for (const name of ['../escape', 'a/../../escape', '/etc/cron.d/x']) {
    const file = join(dir, 'evil.tar');
    const fh = await open(file, 'w');
    await writeTar(fh, [{ name, data: Buffer.from('x') }]);
    await fh.close();
    assert.throws(() => readTar(gzipSync(execFileSync('cat', [file])), 'evil.tgz'), /path outside the archive/, name);
  }
});

test('writeTar output is read back by GNU tar and by readTar', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kubelab-tar-'));
  const file = join(dir, 'w.tar');
  await writeFile(join(dir, 'big'), Buffer.alloc(1500, 7));
  const fh = await open(file, 'w');
  await writeTar(fh, [
    { name: 'oci-layout', data: Buffer.from('{}') },
    { name: `blobs/sha256/${'a'.repeat(64)}`, file: join(dir, 'big'), size: 1500 },
  ]);
  await fh.close();
  assert.deepEqual(execFileSync('tar', ['-tf', file]).toString().trim().split('\n'), ['oci-layout', `blobs/sha256/${'a'.repeat(64)}`]);
  const back = readTar(await readFile(file), 'w.tar');
  assert.equal(back[1]!.data.length, 1500);
  assert.ok(back[1]!.data.every((b) => b === 7));
});
