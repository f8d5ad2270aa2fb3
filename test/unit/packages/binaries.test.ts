import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import type { NodeImage } from '../../../scripts/engine/install-artifacts.js';
import { StepError } from '../../../scripts/engine/errors.js';
import { hostContext } from '../../../scripts/engine/run.js';
import { containerdImages, parseCtrImages } from '../../../scripts/facts/containerd-images.js';
import { fileSha256, parseSha256sum } from '../../../scripts/facts/file-sha256.js';
import { renderUnit } from '../../../scripts/render/systemd-unit.js';
import { archiveName, containerImagesStep } from '../../../scripts/steps/container-images.js';
import { KUBEADM_DROPIN, KUBELET_DEFAULTS, KUBELET_UNIT } from '../../../scripts/steps/kubelet-unit.js';
import { testCluster } from '../../support/cluster.js';
import { testInventory } from '../../support/inventory.js';
import { RecordedFacts } from '../../support/recorded-facts.js';
import { RecordingPool } from '../../support/plan-fixture.js';
import { RecordingTransport } from '../../support/recording-transport.js';

const fixtures = fileURLToPath(new URL('../../../../test/fixtures/', import.meta.url));
const recorded = (name: string): string => readFileSync(`${fixtures}plan/packages/recorded/${name}`, 'utf8');

describe('kubelet unit and kubeadm drop-in', () => {
  it('render byte for byte what the official .deb packages ship (kubernetes/release templates)', () => {
    assert.equal(renderUnit(KUBELET_UNIT), readFileSync(`${fixtures}kubelet-unit/kubelet.service`, 'utf8'));
    assert.equal(renderUnit(KUBEADM_DROPIN), readFileSync(`${fixtures}kubelet-unit/10-kubeadm.conf`, 'utf8'));
    assert.equal(KUBELET_DEFAULTS, readFileSync(`${fixtures}kubelet-unit/kubelet.env`, 'utf8'));
  });
});

describe('sha256sum output', () => {
  it('maps each readable file to its sum; missing files are absent (recorded output)', () => {
    const sums = parseSha256sum(recorded('sha256sum-all-installed.txt'));
    assert.equal(sums.size, 8);
    assert.equal(sums.get('/usr/bin/kubeadm'), 'b1340973bf9265790dab28e96ce5861c435fd350727d5d2e9675a58978cef5df');
    const partial = fileSha256(['/a', '/b']).parse({
      stdout: '04dba0a915dd6edf8f1806bd1b615a40048fea8ace5a1fcb181b234adcb9fcb2  /a\n',
      stderr: 'sha256sum: /b: No such file or directory\n',
      code: 1,
      durationMs: 0,
    });
    assert.deepEqual([...partial], [['/a', '04dba0a915dd6edf8f1806bd1b615a40048fea8ace5a1fcb181b234adcb9fcb2']]);
  });
  it('reads escaped names (GNU coreutils: a leading backslash, \\\\ and \\n) and binary-mode lines', () => {
    // printf 'x' > 'a\b'; printf 'x' > "$(printf 'c\nd')"; sha256sum -- 'a\b' "$(printf 'c\nd')"; sha256sum -b -- e
    const text =
      '\\2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  a\\\\b\n' +
      '\\2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  c\\nd\n' +
      '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 *e\n';
    assert.deepEqual([...parseSha256sum(text).keys()], ['a\\b', 'c\nd', 'e']);
  });
});

describe('ctr images ls output', () => {
  it('maps names to digests and skips the header (recorded with containerd 1.6.20)', () => {
    assert.deepEqual([...parseCtrImages(recorded('ctr-images-ls-pause-coredns-etcd.txt'))], [
      ['registry.k8s.io/coredns/coredns:v1.13.1', 'sha256:6b04c962c5173d2e1674c54a61ebe56ee2eefa556f5541b97369f2fbe25d54c9'],
      ['registry.k8s.io/etcd:3.6.6-0', 'sha256:3db09a29653d0508b8ef0796aaef03b50021a1fe3829204a2278c4882a302797'],
      ['registry.k8s.io/pause:3.10.1', 'sha256:b77ec9f43a871fc938cfb527476afe2e0d8d08b773b05b3b2b2b7db117c4589a'],
    ]);
    assert.deepEqual([...parseCtrImages('REF TYPE DIGEST SIZE PLATFORMS LABELS \n')], []);
  });
  it('a node without ctr has no image (exit 3 of the fact script)', () => {
    const r = containerdImages().parse({ stdout: '', stderr: '', code: 3, durationMs: 0 });
    assert.deepEqual({ ctr: r.ctr, n: r.images.size }, { ctr: false, n: 0 });
  });
});

describe('container-images', () => {
  it('archive names on the node are the reference with path characters replaced', () => {
    assert.equal(archiveName('registry.k8s.io/coredns/coredns:v1.13.1'), 'registry.k8s.io_coredns_coredns_v1.13.1.tar');
  });

  it('refuses an import that leaves another digest under the name, after removing the archive', async () => {
    const inv = testInventory({ kubernetes: { version: '1.35.4', install: 'binaries' } });
    const node = inv.spec.nodes[0]!;
    // the etcd archive announced with the digest of another build: containerd keeps what the archive holds
    const image: NodeImage = {
      ref: 'registry.k8s.io/etcd:3.6.6-0',
      digest: 'sha256:0000000000000000000000000000000000000000000000000000000000000000',
      archivePath: '/bundle/images/etcd_3.6.6-0.tar',
      archiveSha256: '84613ceb33b164ead4d166a51a258a051ff25153903583d4febcc53b42a1b3dd',
      size: 21841920,
    };
    const stage = '/var/cache/kubelab/images/.registry.k8s.io_etcd_3.6.6-0.tar.kubelab-new';
    const check = containerdImages(image.ref).argv.join(' ');
    const rec = new RecordingTransport(node.name, {
      [`sha256sum -- ${stage}`]: { stdout: `${image.archiveSha256}  ${stage}\n` },
      [check]: { stdout: recorded('ctr-images-ls-etcd.txt') },
    });
    const pool = new RecordingPool(() => rec);
    const cluster = testCluster(inv, 'apply', pool, new Map(), {
      installArtifacts: async () => ({ kubernetesVersion: '1.35.4', files: [], images: [image] }),
    });
    const facts = new RecordedFacts({ 'deb-arch': { stdout: 'amd64\n' }, 'ctr-images': { stdout: recorded('ctr-images-ls-pause-coredns.txt') } });
    const host = hostContext(cluster, node, rec, facts);
    const changes = await containerImagesStep.plan(host);
    assert.deepEqual(changes.map((c) => c.description), ['import image registry.k8s.io/etcd:3.6.6-0 (21841920 bytes)']);
    await assert.rejects(changes[0]!.apply(host), (err: unknown) => {
      assert.ok(err instanceof StepError);
      assert.equal(
        err.message,
        'registry.k8s.io/etcd:3.6.6-0: containerd on master has digest sha256:3db09a29653d0508b8ef0796aaef03b50021a1fe3829204a2278c4882a302797 after the import, expected sha256:0000000000000000000000000000000000000000000000000000000000000000',
      );
      return true;
    });
    assert.ok(rec.commands.includes('rm -f -- /var/cache/kubelab/images/registry.k8s.io_etcd_3.6.6-0.tar'));
  });
});
