import { test } from 'node:test';
import type { DownloadNotice } from '../../../scripts/util/download-notice.js';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  fetchManifest,
  fetchManifestObjects,
  ManifestError,
  sha256Hex,
  type ManifestRef,
} from '../../../scripts/manifests/store.js';
import { loadLock, lockedFiles } from '../../../scripts/manifests/lock.js';
import { StepError } from '../../../scripts/engine/errors.js';
import { NO_SEED, testSeedDir } from '../../support/seed.js';

const content = Buffer.from('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n');
const entry: ManifestRef = {
  path: 'demo/v1.0.0/deploy/ns.yaml',
  url: 'https://example.invalid/demo/v1.0.0/deploy/ns.yaml',
  sha256: sha256Hex(content),
};

async function tempDirs(): Promise<{ root: string; cache: string; seed: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'kubelab-manifests-'));
  return {
    root,
    cache: join(root, 'cache', 'manifests'),
    seed: join(root, 'seed'),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

async function put(file: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, bytes);
}

/** A fetch that must not be called. */
const noFetch: typeof fetch = () => {
  throw new Error('fetch called');
};

test('a seed hit returns the verified bytes and fills the cache', async () => {
  const d = await tempDirs();
  try {
    await put(join(d.seed, entry.path), content);
    const got = await fetchManifest(entry, { cacheDir: d.cache, offline: true, seedDirs: [d.seed], fetch: noFetch });
    assert.deepEqual(got, content);
    assert.deepEqual(await readFile(join(d.cache, entry.sha256)), content);
    assert.deepEqual(await readdir(d.cache), [entry.sha256], 'no temp files left behind');
  } finally {
    await d.cleanup();
  }
});

test('the second seed dir is tried when the first lacks the file', async () => {
  const d = await tempDirs();
  try {
    await mkdir(join(d.root, 'empty-seed'), { recursive: true });
    await put(join(d.seed, entry.path), content);
    const got = await fetchManifest(entry, {
      cacheDir: d.cache,
      offline: true,
      seedDirs: [join(d.root, 'empty-seed'), d.seed],
    });
    assert.deepEqual(got, content);
  } finally {
    await d.cleanup();
  }
});

test('a cache hit needs neither seed nor network', async () => {
  const d = await tempDirs();
  try {
    await put(join(d.cache, entry.sha256), content);
    const got = await fetchManifest(entry, { cacheDir: d.cache, offline: false, seedDirs: [], fetch: noFetch });
    assert.deepEqual(got, content);
  } finally {
    await d.cleanup();
  }
});

test('a corrupt cache entry is never returned: it is replaced from the seed', async () => {
  const d = await tempDirs();
  try {
    await put(join(d.cache, entry.sha256), Buffer.from('garbage'));
    await put(join(d.seed, entry.path), content);
    const got = await fetchManifest(entry, { cacheDir: d.cache, offline: true, seedDirs: [d.seed] });
    assert.deepEqual(got, content);
    assert.deepEqual(await readFile(join(d.cache, entry.sha256)), content);
  } finally {
    await d.cleanup();
  }
});

test('a seed file with the wrong sum is refused, naming url, expected and actual sums', async () => {
  const d = await tempDirs();
  try {
    const corrupt = Buffer.concat([content, Buffer.from('# tampered\n')]);
    await put(join(d.seed, entry.path), corrupt);
    await assert.rejects(
      fetchManifest(entry, { cacheDir: d.cache, offline: false, seedDirs: [d.seed], fetch: noFetch }),
      (e: unknown) => {
        assert.ok(e instanceof ManifestError && e instanceof StepError);
        assert.match(e.message, /sha256 mismatch/);
        assert.ok(e.message.includes(entry.url), e.message);
        assert.ok(e.message.includes(`expected ${entry.sha256}`), e.message);
        assert.ok(e.message.includes(`got ${sha256Hex(corrupt)}`), e.message);
        return true;
      },
    );
    await assert.rejects(readdir(d.cache), { code: 'ENOENT' }, 'nothing cached');
  } finally {
    await d.cleanup();
  }
});

test('offline, a file in neither cache nor seed is an error saying how to provide it', async () => {
  const d = await tempDirs();
  try {
    await mkdir(d.seed, { recursive: true });
    await assert.rejects(
      fetchManifest(entry, { cacheDir: d.cache, offline: true, seedDirs: [d.seed], fetch: noFetch }),
      (e: unknown) => {
        assert.ok(e instanceof ManifestError);
        assert.match(e.message, /^offline: demo\/v1\.0\.0\/deploy\/ns\.yaml is not in the manifest cache/);
        assert.ok(e.message.includes(d.seed), e.message);
        assert.ok(e.hint?.includes(entry.url), e.hint);
        assert.ok(e.hint?.includes(join(d.cache, entry.sha256)), e.hint);
        assert.ok(e.hint?.includes('KUBELAB_MANIFEST_SEED'), e.hint);
        return true;
      },
    );
  } finally {
    await d.cleanup();
  }
});

test('online, a miss is downloaded from the url, verified and cached', async () => {
  const d = await tempDirs();
  try {
    const urls: string[] = [];
    const fake: typeof fetch = async (input) => {
      urls.push(String(input));
      return new Response(content, { status: 200 });
    };
    const notices: DownloadNotice[] = [];
    const onDownload = (n: DownloadNotice): void => void notices.push(n);
    const got = await fetchManifest(entry, { cacheDir: d.cache, offline: false, seedDirs: [], fetch: fake, onDownload });
    assert.deepEqual(got, content);
    assert.deepEqual(urls, [entry.url]);
    assert.deepEqual(notices, [{ what: entry.path, url: entry.url, into: join(d.cache, entry.sha256) }], 'the download was announced');
    assert.deepEqual(await readFile(join(d.cache, entry.sha256)), content);
    notices.length = 0;
    await fetchManifest(entry, { cacheDir: d.cache, offline: false, seedDirs: [], fetch: fake, onDownload });
    assert.deepEqual(notices, [], 'from the cache: nothing announced');
  } finally {
    await d.cleanup();
  }
});

test('a download with the wrong sum or an HTTP error is refused and not cached', async () => {
  const d = await tempDirs();
  try {
    const bad: typeof fetch = async () => new Response('other bytes', { status: 200 });
    await assert.rejects(fetchManifest(entry, { cacheDir: d.cache, offline: false, seedDirs: [], fetch: bad }), {
      message: `sha256 mismatch for ${entry.url} (download): expected ${entry.sha256}, got ${sha256Hex(Buffer.from('other bytes'))}`,
    });
    const missing: typeof fetch = async () => new Response('nope', { status: 404, statusText: 'Not Found' });
    await assert.rejects(fetchManifest(entry, { cacheDir: d.cache, offline: false, seedDirs: [], fetch: missing }), {
      message: `cannot download ${entry.url}: HTTP 404 Not Found`,
    });
    const down: typeof fetch = async () => {
      throw new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND example.invalid') });
    };
    await assert.rejects(fetchManifest(entry, { cacheDir: d.cache, offline: false, seedDirs: [], fetch: down }), {
      message: `cannot download ${entry.path} from ${entry.url}: getaddrinfo ENOTFOUND example.invalid`,
    });
    await assert.rejects(readdir(d.cache), { code: 'ENOENT' }, 'nothing cached');
  } finally {
    await d.cleanup();
  }
});

test('the pinned flannel manifest comes from the shared seed, verified, and parses', async (t) => {
  const seed = testSeedDir();
  if (!seed) return t.skip(NO_SEED);
  const d = await tempDirs();
  try {
    const [flannel] = lockedFiles(await loadLock(), 'flannel');
    assert.ok(flannel);
    const objs = await fetchManifestObjects(flannel, { cacheDir: d.cache, offline: true, seedDirs: [seed] });
    assert.deepEqual(
      objs.map((o) => o.kind),
      ['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ServiceAccount', 'ConfigMap', 'DaemonSet'],
    );
    // second time from the cache alone
    const again = await fetchManifest(flannel, { cacheDir: d.cache, offline: true, seedDirs: [] });
    assert.equal(sha256Hex(again), flannel.sha256);
  } finally {
    await d.cleanup();
  }
});
