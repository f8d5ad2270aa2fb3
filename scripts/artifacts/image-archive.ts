/**
 * Container images as OCI image archives on the workstation, what `ctr -n k8s.io images import` reads:
 * oci-layout, index.json (one manifest, annotated io.containerd.image.name = the full reference and
 * org.opencontainers.image.ref.name = the tag), Docker's manifest.json, blobs/sha256/*. Blobs are kept in a
 * content-addressed cache (`<dir>/blobs/sha256/<hex>`) so an image shared by two references is fetched once;
 * each archive has a record (`<archive>.json`: reference, manifest digest, archive sha256) that lets a second
 * run reuse it without asking the registry (a tag re-pushed upstream is not noticed: delete the record).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readIfExists, writeFileAtomic } from '../manifests/store.js';
import { KubelabError } from '../util/errors.js';
import { isObj } from '../util/objects.js';
import { parseImageRef, type ImageRef } from './image-ref.js';
import { RegistryClient, type Descriptor } from './registry.js';
import { writeTarFile, type TarEntry } from './tar.js';
import type { Arch, NodeImage } from '../engine/install-artifacts.js';
import type { OnDownload } from '../util/download-notice.js';

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The archive's file name for a reference: readable and unique ("registry.k8s.io_coredns_coredns_v1.13.1.tar"). */
export function archiveName(ref: ImageRef): string {
  return `${ref.full.replace(/@sha256:([0-9a-f]{12})[0-9a-f]*$/, '@$1').replace(/[/:@]/g, '_')}.tar`;
}

interface ArchiveRecord {
  readonly ref: string;
  readonly digest: string;
  readonly archiveSha256: string;
  readonly size: number;
}

/** The archive named by a record next to it, when both exist and the archive's sum matches. */
export async function verifiedArchive(archivePath: string, ref: string): Promise<NodeImage | undefined> {
  const text = await readIfExists(`${archivePath}.json`);
  if (!text) return undefined;
  let rec: unknown;
  try {
    rec = JSON.parse(text.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObj(rec) || rec.ref !== ref || typeof rec.digest !== 'string' || typeof rec.archiveSha256 !== 'string') return undefined;
  const st = await stat(archivePath).catch(() => undefined);
  if (!st || st.size !== rec.size) return undefined;
  if ((await fileSha256(archivePath)) !== rec.archiveSha256) return undefined;
  return { ref, digest: rec.digest, archivePath, archiveSha256: rec.archiveSha256, size: st.size };
}

export interface PullOptions {
  /** Cache root: blobs/ and images/<arch>/ below it. */
  readonly cacheDir: string;
  readonly offline: boolean;
  readonly client: RegistryClient;
  /** Told before an image is pulled (not when it comes from the cache). */
  readonly onDownload?: OnDownload;
}

/**
 * The image for linux/<arch> as an archive: from the cache when its record and sum match, else (not offline)
 * pulled through the client (every blob verified) and written.
 */
export async function imageArchive(reference: string, arch: Arch, opts: PullOptions): Promise<NodeImage> {
  const ref = parseImageRef(reference);
  const archivePath = join(opts.cacheDir, 'images', arch, archiveName(ref));
  const cached = await verifiedArchive(archivePath, ref.full);
  if (cached) return cached;
  if (opts.offline) {
    throw new KubelabError(`offline: image ${ref.full} (linux/${arch}) is not in ${join(opts.cacheDir, 'images', arch)}`, 'run kubelab bundle build where the registry (or a mirror) is reachable');
  }
  const m = await opts.client.platformManifest(ref, arch);
  // said once the registry (or the mirror answering) is known, before the layers, the bulk of it
  opts.onDownload?.({ what: `image ${ref.full} (linux/${arch})`, url: `${m.endpoint}/${ref.repository}/manifests/${m.digest}`, into: archivePath });
  const blobDir = join(opts.cacheDir, 'blobs', 'sha256');
  const blobs: Descriptor[] = [m.config, ...m.layers];
  const entries: TarEntry[] = [];
  const seen = new Set<string>();
  for (const d of blobs) {
    if (seen.has(d.digest)) continue;
    seen.add(d.digest);
    const file = join(blobDir, d.digest.slice(7));
    const have = await stat(file).catch(() => undefined);
    if (!have || have.size !== d.size || `sha256:${await fileSha256(file)}` !== d.digest) {
      await opts.client.blobToFile(m.endpoint, ref, d, file);
    }
    entries.push({ name: `blobs/sha256/${d.digest.slice(7)}`, file, size: d.size });
  }
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: m.mediaType,
        digest: m.digest,
        size: m.bytes.length,
        platform: { architecture: arch, os: 'linux' },
        annotations: {
          'io.containerd.image.name': ref.full,
          ...(ref.tag ? { 'org.opencontainers.image.ref.name': ref.tag } : {}),
        },
      },
    ],
  };
  const dockerManifest = [
    {
      Config: `blobs/sha256/${m.config.digest.slice(7)}`,
      RepoTags: ref.tag && !ref.digest ? [ref.full] : [],
      Layers: m.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
    },
  ];
  const all: TarEntry[] = [
    { name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { name: 'index.json', data: Buffer.from(JSON.stringify(index)) },
    { name: 'manifest.json', data: Buffer.from(JSON.stringify(dockerManifest)) },
    { name: `blobs/sha256/${m.digest.slice(7)}`, data: m.bytes },
    ...entries,
  ];
  await writeTarFile(archivePath, all);
  const archiveSha256 = await fileSha256(archivePath);
  const size = (await stat(archivePath)).size;
  const rec: ArchiveRecord = { ref: ref.full, digest: m.digest, archiveSha256, size };
  await writeFileAtomic(`${archivePath}.json`, Buffer.from(`${JSON.stringify(rec, null, 2)}\n`));
  return { ref: ref.full, digest: m.digest, archivePath, archiveSha256, size };
}
