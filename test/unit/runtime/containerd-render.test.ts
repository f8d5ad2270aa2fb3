import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse } from 'smol-toml';
import { renderContainerdConfig } from '../../../scripts/render/containerd.js';
import { pauseImage } from '../../../scripts/inventory/versions.js';

const dir = fileURLToPath(new URL('../../../../test/fixtures/containerd/', import.meta.url));
/** Real `containerd config default` outputs: Debian 12's 1.6.20 (version 2), 2.2.9 (version 3), 2.3.7 (version 4). */
const DEFAULTS = [
  { file: 'config-default-1.6.20-debian12.toml', version: 2 },
  { file: 'config-default-2.2.9.toml', version: 3 },
  { file: 'config-default-2.3.7.toml', version: 4 },
];

type T = Record<string, any>;

function dig(doc: T, path: string[]): unknown {
  return path.reduce<any>((t, k) => t?.[k], doc);
}

/** A containerd binary to validate rendered configs with (`containerd --config F config dump`), if present. */
function containerdBinary(): string | undefined {
  const candidates = [process.env.KUBELAB_TEST_CONTAINERD, 'containerd'].filter(Boolean) as string[];
  return candidates.find((c) => spawnSync(c, ['--version']).status === 0);
}

describe('containerd config rendered from config default', () => {
  const settings = { sandboxImage: pauseImage('1.35', 'registry.aliyuncs.com/google_containers'), registryConfigPath: '/etc/containerd/certs.d' };
  for (const d of DEFAULTS) {
    it(`${d.file}: SystemdCgroup, sandbox image and certs.d set at the version ${d.version} paths`, () => {
      const text = readFileSync(dir + d.file, 'utf8');
      const before = parse(text) as T;
      assert.equal(before.version, d.version);
      const out = parse(renderContainerdConfig(text, settings)) as T;
      if (d.version === 2) {
        const cri = ['plugins', 'io.containerd.grpc.v1.cri'];
        assert.equal(dig(out, [...cri, 'containerd', 'runtimes', 'runc', 'options', 'SystemdCgroup']), true);
        assert.equal(dig(out, [...cri, 'sandbox_image']), 'registry.aliyuncs.com/google_containers/pause:3.10.1');
        assert.equal(dig(out, [...cri, 'registry', 'config_path']), '/etc/containerd/certs.d');
      } else {
        assert.equal(dig(out, ['plugins', 'io.containerd.cri.v1.runtime', 'containerd', 'runtimes', 'runc', 'options', 'SystemdCgroup']), true);
        assert.equal(dig(out, ['plugins', 'io.containerd.cri.v1.images', 'pinned_images', 'sandbox']), 'registry.aliyuncs.com/google_containers/pause:3.10.1');
        assert.equal(dig(out, ['plugins', 'io.containerd.cri.v1.images', 'registry', 'config_path']), '/etc/containerd/certs.d');
      }
      // nothing else changed: every other top-level setting is containerd's own default
      for (const key of Object.keys(before).filter((k) => k !== 'plugins')) assert.deepEqual(out[key], before[key], key);
    });
  }

  it('re-enables CRI when a packaged config disabled it, and works without a plugins table', () => {
    const out = parse(renderContainerdConfig('version = 2\ndisabled_plugins = ["cri", "io.containerd.internal.v1.opt"]\n', { sandboxImage: 'r/pause:3.9' })) as T;
    assert.deepEqual(out.disabled_plugins, ['io.containerd.internal.v1.opt']);
    assert.equal(dig(out, ['plugins', 'io.containerd.grpc.v1.cri', 'containerd', 'runtimes', 'runc', 'options', 'SystemdCgroup']), true);
    assert.equal(dig(out, ['plugins', 'io.containerd.grpc.v1.cri', 'registry']), undefined);
  });

  it('the rendered 1.6 config is accepted by a real containerd (config dump), when one is available', (t) => {
    const bin = containerdBinary();
    if (!bin) return t.skip('no containerd binary (set KUBELAB_TEST_CONTAINERD; .ci/run provides Debian 12 containerd)');
    const version = execFileSync(bin, ['--version'], { encoding: 'utf8' });
    if (!/ 1\.6\./.test(version)) return t.skip(`containerd here is not 1.6: ${version}`);
    const tmp = mkdtempSync(join(tmpdir(), 'kubelab-ctr-'));
    try {
      const file = join(tmp, 'config.toml');
      writeFileSync(file, renderContainerdConfig(readFileSync(dir + DEFAULTS[0]!.file, 'utf8'), settings));
      const dump = execFileSync(bin, ['--config', file, 'config', 'dump'], { encoding: 'utf8' });
      assert.match(dump, /SystemdCgroup = true/);
      assert.match(dump, /sandbox_image = "registry\.aliyuncs\.com\/google_containers\/pause:3\.10\.1"/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
