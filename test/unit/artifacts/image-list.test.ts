import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controlPlaneImages } from '../../../scripts/artifacts/image-list.js';
import { clusterImages } from '../../../scripts/commands/cluster-artifacts.js';
import { PHASES } from '../../../scripts/phases/index.js';
import { TEST_SETTINGS } from '../../support/cluster.js';
import { renderFiles } from '../../../scripts/render/files.js';
import { UsageError } from '../../../scripts/util/errors.js';
import { testInventory } from '../../support/inventory.js';
import { NO_SEED, testSeedDir } from '../../support/seed.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const seed = testSeedDir();

test('a minor whose kubeadm images kubelab does not know is refused, naming the known ones', () => {
  assert.throws(() => controlPlaneImages('1.29.3', 'registry.k8s.io'), (e: Error) => e instanceof UsageError && /1\.29\.3/.test(e.message) && /1\.35/.test((e as UsageError).hint ?? ''));
});

test('the bundle image list holds every image `kubelab render` writes, with imageRepository applied', { skip: seed ? undefined : NO_SEED }, async () => {
  const inv = testInventory({
    kubernetes: { version: '1.35.4', imageRepository: 'registry.aliyuncs.com/google_containers' },
    nfs: { server: 'master', path: '/srv/nfs' },
    addons: { metricsServer: { enabled: true } },
  });
  const settings = { ...TEST_SETTINGS, offline: true, manifestCacheDir: mkdtempSync(join(tmpdir(), 'kubelab-il-')), manifestSeedDirs: [seed!] };
  const images = await clusterImages(inv, settings, '1.35.4');
  const rendered = new Set(
    (await renderFiles(inv, settings, PHASES)).filter((f) => f.scope === 'cluster').flatMap((f) => [...f.content.matchAll(/^\s*(?:- )?image:\s*(\S+)\s*$/gm)].map((m) => m[1]!)),
  );
  assert.ok(rendered.size >= 4, [...rendered].join(' '));
  for (const r of rendered) assert.ok(images.includes(r), `${r} in ${images.join(' ')}`);
  assert.deepEqual(images.slice(0, 7), controlPlaneImages('1.35.4', 'registry.aliyuncs.com/google_containers'));
  assert.equal(new Set(images).size, images.length, 'no duplicates');
  // only the registry.k8s.io images moved; flannel stays on ghcr.io (registryMirrors covers it)
  assert.ok(images.some((i) => i.startsWith('ghcr.io/flannel-io/flannel:')));
  assert.ok(!images.some((i) => i.startsWith('registry.k8s.io/') && !i.includes('e2e-test-images')), images.join(' '));
});
