/**
 * The OCI client against a tiny loopback registry that answers like Docker Hub: 401 with a Bearer challenge
 * (the header shape recorded from registry-1.docker.io: realm https://auth.docker.io/token,
 * service="registry.docker.io", scope="repository:library/<name>:pull"), a token endpoint answering
 * {"token", "access_token", "expires_in", "issued_at"}, a Docker manifest list with linux/amd64 and linux/arm64/v8.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageArchive } from '../../../scripts/artifacts/image-archive.js';
import { parseImageRef } from '../../../scripts/artifacts/image-ref.js';
import { MEDIA, parseChallenge, registryEndpoints, RegistryClient } from '../../../scripts/artifacts/registry.js';
import { KubelabError } from '../../../scripts/util/errors.js';

const digestOf = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function image(arch: string): { manifest: Buffer; config: Buffer; layer: Buffer } {
  const config = Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const layer = Buffer.from(`layer of ${arch} `.repeat(100));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.dockerManifest,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: digestOf(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: digestOf(layer), size: layer.length }],
    }),
  );
  return { manifest, config, layer };
}

async function hubLike(opts: { tamper?: boolean } = {}) {
  const amd = image('amd64');
  const arm = image('arm64');
  const list = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.dockerList,
      manifests: [
        { mediaType: MEDIA.dockerManifest, digest: digestOf(arm.manifest), size: arm.manifest.length, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
        { mediaType: MEDIA.dockerManifest, digest: digestOf(amd.manifest), size: amd.manifest.length, platform: { architecture: 'amd64', os: 'linux' } },
      ],
    }),
  );
  const blobs = new Map<string, Buffer>();
  for (const b of [amd.config, amd.layer, arm.config, arm.layer]) blobs.set(digestOf(b), b);
  const manifests = new Map<string, [string, Buffer]>([
    ['3.20', [MEDIA.dockerList, list]],
    [digestOf(list), [MEDIA.dockerList, list]],
    [digestOf(amd.manifest), [MEDIA.dockerManifest, amd.manifest]],
    [digestOf(arm.manifest), [MEDIA.dockerManifest, arm.manifest]],
  ]);
  const log: string[] = [];
  let origin = '';
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', origin);
    log.push(`${url.pathname}${url.search}`);
    if (url.pathname === '/token') {
      assert.equal(url.searchParams.get('service'), 'registry.docker.io');
      assert.equal(url.searchParams.get('scope'), 'repository:library/alpine:pull');
      res.setHeader('content-type', 'application/json');
      return void res.end(JSON.stringify({ token: 'tok-123', access_token: 'tok-123', expires_in: 300, issued_at: '2026-01-01T00:00:00Z' }));
    }
    if (req.headers.authorization !== 'Bearer tok-123') {
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="${origin}/token",service="registry.docker.io",scope="repository:library/alpine:pull"`,
        'content-type': 'application/json',
      });
      return void res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
    }
    const m = /^\/v2\/library\/alpine\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
    if (m?.[1] === 'manifests' && manifests.has(m[2]!)) {
      const [type, body] = manifests.get(m[2]!)!;
      res.writeHead(200, { 'content-type': type, 'docker-content-digest': digestOf(body) });
      return void res.end(body);
    }
    if (m?.[1] === 'blobs' && blobs.has(m[2]!)) {
      const body = Buffer.from(blobs.get(m[2]!)!);
      if (opts.tamper && m[2] === digestOf(amd.layer)) body[0] = body[0]! ^ 1;
      return void res.end(body);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, log, amd, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

test('image references as containerd names them', () => {
  assert.equal(parseImageRef('alpine').full, 'docker.io/library/alpine:latest');
  assert.deepEqual(parseImageRef('registry.k8s.io/coredns/coredns:v1.13.1'), { host: 'registry.k8s.io', repository: 'coredns/coredns', tag: 'v1.13.1', full: 'registry.k8s.io/coredns/coredns:v1.13.1' });
  assert.equal(parseImageRef('127.0.0.1:5000/x/y:1').host, '127.0.0.1:5000');
  assert.equal(parseImageRef(`quay.io/a/b@sha256:${'0'.repeat(64)}`).tag, undefined);
  assert.deepEqual(registryEndpoints('docker.io', { 'docker.io': ['http://127.0.0.1:5000/', 'https://m.example/v2'] }), [
    'http://127.0.0.1:5000/v2',
    'https://m.example/v2',
    'https://registry-1.docker.io/v2',
  ]);
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"'), {
    scheme: 'bearer',
    params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' },
  });
});

test('Bearer token from the 401 challenge, manifest list resolved to linux/amd64, archive in the OCI layout ctr imports', async () => {
  const hub = await hubLike();
  try {
    const cacheDir = await mkdtemp(join(tmpdir(), 'kubelab-oci-'));
    const client = new RegistryClient({ 'docker.io': [hub.origin] });
    const img = await imageArchive('alpine:3.20', 'amd64', { cacheDir, offline: false, client });
    assert.equal(img.ref, 'docker.io/library/alpine:3.20');
    assert.equal(img.digest, digestOf(hub.amd.manifest));
    assert.equal(hub.log.filter((l) => l.startsWith('/token')).length, 1, 'one token for the session');
    const list = execFileSync('tar', ['-tf', img.archivePath]).toString().trim().split('\n');
    assert.deepEqual(list.slice(0, 3), ['oci-layout', 'index.json', 'manifest.json']);
    assert.ok(list.includes(`blobs/sha256/${digestOf(hub.amd.layer).slice(7)}`));
    const index = JSON.parse(execFileSync('tar', ['-xOf', img.archivePath, 'index.json']).toString());
    assert.deepEqual(index.manifests[0].annotations, { 'io.containerd.image.name': 'docker.io/library/alpine:3.20', 'org.opencontainers.image.ref.name': '3.20' });
    assert.equal(index.manifests[0].digest, img.digest);

    const before = hub.log.length;
    const again = await imageArchive('alpine:3.20', 'amd64', { cacheDir, offline: true, client });
    assert.deepEqual(again, img);
    assert.equal(hub.log.length, before, 'a cached archive needs no request');

    const arm = await imageArchive('alpine:3.20', 'arm64', { cacheDir, offline: false, client });
    assert.notEqual(arm.digest, img.digest);
  } finally {
    await hub.close();
  }
});

test('a blob whose bytes do not match its digest is refused; nothing is kept', async () => {
  const hub = await hubLike({ tamper: true });
  try {
    const cacheDir = await mkdtemp(join(tmpdir(), 'kubelab-oci-'));
    const client = new RegistryClient({ 'docker.io': [hub.origin] });
    await assert.rejects(imageArchive('alpine:3.20', 'amd64', { cacheDir, offline: false, client }), (e: Error) => {
      assert.ok(e instanceof KubelabError);
      assert.match(e.message, new RegExp(`digest mismatch for blob ${digestOf(hub.amd.layer)} of docker.io/library/alpine:3.20`));
      return true;
    });
    const left = (await readdir(cacheDir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
    assert.ok(!left.includes(digestOf(hub.amd.layer).slice(7)), 'the tampered blob is not cached');
    assert.ok(!left.some((n) => n.endsWith('.tar')), 'no archive');
    await assert.rejects(imageArchive('alpine:3.20', 'amd64', { cacheDir, offline: true, client }), /offline: image docker.io\/library\/alpine:3.20/);
  } finally {
    await hub.close();
  }
});
