import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { loadLock, lockedFiles, parseLock } from '../../../scripts/manifests/lock.js';
import { sha256Hex } from '../../../scripts/manifests/store.js';
import { StepError } from '../../../scripts/engine/errors.js';
import { NO_SEED, ROOT, testSeedDir } from '../../support/seed.js';

test('flannel is one pinned file at v0.28.9', async () => {
  const files = lockedFiles(await loadLock(), 'flannel');
  assert.deepEqual(files, [
    {
      id: 'flannel',
      version: 'v0.28.9',
      path: 'flannel/v0.28.9/Documentation/kube-flannel.yml',
      url: 'https://raw.githubusercontent.com/flannel-io/flannel/v0.28.9/Documentation/kube-flannel.yml',
      sha256: 'e875824be2f552b45711dbda91af81b17eb961d00025d914d9fef18fad8f09c0',
      stage: 'main',
    },
  ]);
});

test('kube-prometheus lists setup/ first, then manifests/ in kubectl (byte) order', async () => {
  const files = lockedFiles(await loadLock(), 'kube-prometheus');
  assert.equal(files.length, 95);
  const setup = files.filter((f) => f.stage === 'setup');
  assert.equal(setup.length, 11);
  assert.deepEqual(files.slice(0, 11), setup, 'setup stage first');
  for (const f of files) {
    assert.equal(f.version, 'v0.18.0');
    assert.equal(f.path.includes('/manifests/setup/'), f.stage === 'setup', f.path);
    assert.ok(
      f.url.startsWith('https://raw.githubusercontent.com/prometheus-operator/kube-prometheus/v0.18.0/manifests/'),
    );
  }
  const main = files.slice(11).map((f) => f.path);
  assert.deepEqual(
    main,
    [...main].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  assert.ok(setup.at(-1)?.path.endsWith('setup/namespace.yaml'));
});

test('the applyable sets of metrics-server and nfs-subdir-external-provisioner', async () => {
  const lock = await loadLock();
  assert.deepEqual(
    lockedFiles(lock, 'metrics-server').map((f) => f.path),
    ['metrics-server/v0.8.1/components.rendered.yaml'],
  );
  assert.match(lockedFiles(lock, 'metrics-server')[0]?.note ?? '', /kubectl kustomize/);
  assert.deepEqual(
    lockedFiles(lock, 'nfs-subdir-external-provisioner').map((f) => f.path.split('/').slice(2).join('/')),
    ['deploy/rbac.yaml', 'deploy/deployment.yaml', 'deploy/class.yaml'],
  );
  for (const f of lockedFiles(lock, 'nfs-subdir-external-provisioner')) {
    assert.ok(f.url.includes('/59a3ca2cd10febfbe200c8676c4107be95f267a9/deploy/'), f.url);
  }
});

test('an unknown set is an error naming the known ones', async () => {
  const lock = await loadLock();
  assert.throws(
    () => lockedFiles(lock, 'calico'),
    (e: unknown) => {
      assert.ok(e instanceof StepError);
      assert.equal(e.message, 'no pinned manifests named calico');
      assert.match(e.hint ?? '', /flannel, .*kube-prometheus/);
      return true;
    },
  );
});

test('the lock rejects bad sums, non-HTTPS urls, unsafe paths and duplicates', () => {
  const lock = (file: string) => `lockVersion: 1\nsets:\n  - id: x\n    version: v1\n    files:\n${file}`;
  const ok =
    '      - path: x/v1/a.yaml\n        url: https://example.org/a.yaml\n        sha256: ' + 'a'.repeat(64) + '\n';
  assert.equal(parseLock(lock(ok)).sets.get('x')?.length, 1);
  assert.throws(() => parseLock(lock(ok.replace('a'.repeat(64), 'A'.repeat(64)))), /sha256/);
  assert.throws(() => parseLock(lock(ok.replace('https:', 'http:'))), /url/);
  assert.throws(() => parseLock(lock(ok.replace('x/v1/a.yaml', '../a.yaml'))), /path/);
  assert.throws(() => parseLock(lock(ok + ok)), /x\/v1\/a\.yaml is listed twice/);
});

test('every locked file matches its copy in the seed dir', async (t) => {
  const seed = testSeedDir();
  if (!seed) return t.skip(NO_SEED);
  const lock = await loadLock();
  let n = 0;
  for (const files of lock.sets.values()) {
    for (const f of files) {
      assert.equal(sha256Hex(await readFile(join(seed, f.path))), f.sha256, f.path);
      n++;
    }
  }
  assert.equal(n, 130);
});

async function* repoFiles(dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (['.git', 'node_modules', 'dist', '.kubelab', '.kubelab-e2e'].includes(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* repoFiles(p);
    else if (e.isFile()) yield p;
  }
}

test('the repository ships no copy of a pinned upstream file', async () => {
  const lock = await loadLock();
  const pinned = new Set([...lock.sets.values()].flatMap((fs) => fs.map((f) => f.sha256)));
  for await (const file of repoFiles(ROOT)) {
    assert.ok(!pinned.has(sha256Hex(await readFile(file))), `${relative(ROOT, file)} is a copy of a pinned file`);
  }
});
