/**
 * `kubelab render` says what it downloads before it does: with empty manifest caches, each pinned file is
 * announced on stderr (what, URL, cache file). No traffic leaves the machine: fetch is replaced by one that refuses.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { renderCommand } from '../../../scripts/commands/render.js';
import { readSettings } from '../../../scripts/commands/settings.js';
import type { CliContext } from '../../../scripts/commands/cli-context.js';

function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough();
  let out = '';
  s.on('data', (d) => (out += d));
  return { stream: s as unknown as NodeJS.WriteStream, text: () => out };
}

describe('render announces its downloads', () => {
  const realFetch = globalThis.fetch;
  let dir: string;
  const asked: string[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubelab-render-dl-'));
    asked.length = 0;
    globalThis.fetch = (async (input: string | URL | Request) => {
      asked.push(String(input));
      throw new Error('no network in tests');
    }) as typeof fetch;
  });
  afterEach(() => {
    globalThis.fetch = realFetch;
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (extra: string[]) => {
    const out = capture();
    const err = capture();
    const settings = readSettings({ KUBELAB_MANIFEST_CACHE: join(dir, 'manifests'), KUBELAB_MANIFEST_SEED: '', KUBELAB_ARTIFACT_CACHE: join(dir, 'artifacts') });
    const ctx = { stdout: out.stream, stderr: err.stream, env: {}, settings } as CliContext;
    const result = await renderCommand(['-i', resolve('inventory/example.yaml'), '--out', join(dir, 'out'), ...extra], ctx).then(
      (code) => ({ code, error: undefined }),
      (error: Error) => ({ code: undefined, error }),
    );
    return { ...result, stderr: err.text() };
  };

  it('each download is said on stderr, with its URL and cache file, before it is tried', async () => {
    const r = await run([]);
    assert.match(String(r.error?.message), /cannot download/);
    assert.ok(asked.length > 0);
    const lines = r.stderr.trimEnd().split('\n');
    for (const url of asked) {
      assert.ok(lines.some((l) => l.startsWith('downloading ') && l.includes(` from ${url} into ${join(dir, 'manifests')}/`)), `${url} announced:\n${r.stderr}`);
    }
  });

  it('--offline: nothing announced, nothing asked', async () => {
    const r = await run(['--offline']);
    assert.match(String(r.error?.message), /offline/);
    assert.deepEqual(asked, []);
    assert.doesNotMatch(r.stderr, /downloading/);
  });
});
