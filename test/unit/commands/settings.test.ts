/** readSettings: the environment variables of README "Environment", read once into one typed object. */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { readSettings } from '../../../scripts/commands/settings.js';
import { UsageError } from '../../../scripts/util/errors.js';

test('defaults: caches under .kubelab of the cwd, no seeds, connections kept 60 s, ~/.kube/config', () => {
  const s = readSettings({ HOME: '/h' });
  assert.equal(s.manifestCacheDir, resolve('.kubelab/cache/manifests'));
  assert.deepEqual(s.manifestSeedDirs, []);
  assert.equal(s.imageCacheDir, resolve('.kubelab/images'));
  assert.equal(s.persistSeconds, 60);
  assert.equal(s.offline, false);
  assert.equal(s.sshAuthSock, undefined);
  assert.equal(s.userKubeconfig, '/h/.kube/config');
  assert.deepEqual(s.daemonEnv, { HOME: '/h' });
});

test('KUBELAB_* variables override the defaults; only PATH, HOME and LANG go to the daemon', () => {
  const s = readSettings({
    KUBELAB_MANIFEST_CACHE: 'mc',
    KUBELAB_MANIFEST_SEED: '/a::/b/c',
    KUBELAB_IMAGE_CACHE: '/images',
    KUBELAB_PERSIST: ' 0 ',
    SSH_AUTH_SOCK: '/agent.sock',
    PATH: '/bin',
    LANG: 'C',
    SECRET: 'x',
  });
  assert.equal(s.manifestCacheDir, resolve('mc'));
  assert.deepEqual(s.manifestSeedDirs, ['/a', '/b/c']);
  assert.equal(s.imageCacheDir, '/images');
  assert.equal(s.persistSeconds, 0);
  assert.equal(s.sshAuthSock, '/agent.sock');
  assert.deepEqual(s.daemonEnv, { PATH: '/bin', LANG: 'C' });
  assert.equal(readSettings({ KUBELAB_PERSIST: '2.5' }).persistSeconds, 2.5);
});

test('KUBECONFIG: its first non-empty entry', () => {
  assert.equal(readSettings({ KUBECONFIG: '/a/one:/b/two', HOME: '/h' }).userKubeconfig, '/a/one');
  assert.equal(readSettings({ KUBECONFIG: ':/b/two', HOME: '/h' }).userKubeconfig, '/b/two');
  assert.equal(readSettings({ KUBECONFIG: '', HOME: '/h' }).userKubeconfig, join('/h', '.kube', 'config'));
});

test('a KUBELAB_PERSIST that is not seconds is a usage error', () => {
  assert.throws(() => readSettings({ KUBELAB_PERSIST: 'soon' }), (e: Error) => e instanceof UsageError && /KUBELAB_PERSIST=soon: expected seconds/.test(e.message));
  assert.throws(() => readSettings({ KUBELAB_PERSIST: '-1' }), UsageError);
});

test('KUBELAB_KEEP_LOGS: 20 runs by default, a whole number of at least 1 otherwise', () => {
  assert.equal(readSettings({}).keepLogs, 20);
  assert.equal(readSettings({ KUBELAB_KEEP_LOGS: ' 3 ' }).keepLogs, 3);
  for (const bad of ['0', '-1', '2.5', 'many']) {
    assert.throws(() => readSettings({ KUBELAB_KEEP_LOGS: bad }), (e: unknown) => e instanceof UsageError && /KUBELAB_KEEP_LOGS/.test(e.message), bad);
  }
});
