/**
 * Offline bundles: one folder with everything an inventory's `binaries` install and its cluster need.
 *
 *   bundle.json                     what is inside (below), with versions and sums
 *   files/dl.k8s.io/release/...     release binaries with their .sha256, as on the download site
 *   files/github.com/...            the CNI plugins and crictl tarballs with their .sha256
 *   files/extracted/<sha256>/...    the tarballs' contents, what nodes receive
 *   manifests/<id>/<version>/...    the pinned manifests (a seed dir: KUBELAB_MANIFEST_SEED=<bundle>/manifests)
 *   images/<arch>/<ref>.tar         OCI image archives for `ctr -n k8s.io images import`
 *
 * Built from the workstation's caches (a second build downloads nothing), read back without any network.
 */
import { copyFile, link, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import type { Inventory } from '../inventory/types.js';
import type { LockEntry } from '../manifests/lock.js';
import { fetchManifest, writeFileAtomic, type FetchManifestOptions } from '../manifests/store.js';
import { KubelabError } from '../util/errors.js';
import { fileSha256, imageArchive } from './image-archive.js';
import { releaseArtifacts } from './prepare.js';
import { RegistryClient } from './registry.js';
import type { HttpOptions } from './http.js';
import { writeTarFile, type TarEntry } from './tar.js';
import type { Arch, InstallArtifacts, NodeFile, NodeImage } from '../engine/install-artifacts.js';

export const BUNDLE_FILE = 'bundle.json';
/** The bundle's pinned manifests, laid out as a manifest seed folder. */
export const BUNDLE_MANIFESTS_DIR = 'manifests';

const sha = z.string().regex(/^[0-9a-f]{64}$/);
const relPath = z.string().refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a relative path inside the bundle');

const bundleSchema = z.strictObject({
  bundleVersion: z.literal(1),
  cluster: z.string(),
  kubernetesVersion: z.string().regex(/^1\.\d+\.\d+$/),
  arch: z.enum(['amd64', 'arm64']),
  files: z.array(
    z.strictObject({
      path: relPath,
      name: z.string(),
      version: z.string(),
      sha256: sha,
      size: z.number().int().nonnegative(),
      source: z.string(),
      /** Set for what nodes receive. */
      remotePath: z.string().startsWith('/').optional(),
      mode: z.number().int().optional(),
    }),
  ),
  manifests: z.array(z.strictObject({ path: relPath, set: z.string(), version: z.string(), sha256: sha, source: z.string() })),
  images: z.array(z.strictObject({ ref: z.string(), digest: z.string().regex(/^sha256:[0-9a-f]{64}$/), path: relPath, sha256: sha, size: z.number().int().nonnegative() })),
});

export type BundleIndex = z.infer<typeof bundleSchema>;

export interface BuildBundleOptions extends HttpOptions {
  /** Folder to write (created; existing files with the right sum are kept). */
  readonly out: string;
  readonly arch: Arch;
  /** The artifact cache the bundle is filled from (and downloads go to). */
  readonly cacheDir: string;
  readonly offline: boolean;
  /** Every image the cluster runs, full references. */
  readonly images: readonly string[];
  /** The pinned manifests the cluster applies, and how to read them (their cache). */
  readonly manifests: readonly LockEntry[];
  readonly manifestOptions: FetchManifestOptions;
}

/** Places a cached file in the bundle: a hard link when possible (same filesystem), else a copy; kept when equal. */
async function place(from: string, to: string, sha256: string): Promise<void> {
  const have = await stat(to).catch(() => undefined);
  if (have && (await fileSha256(to)) === sha256) return;
  await mkdir(dirname(to), { recursive: true });
  await rm(to, { force: true });
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

const rel = (root: string, file: string): string => relative(root, file).split(sep).join('/');

/** Writes (or brings up to date) a bundle folder and its bundle.json; returns the index written. */
export async function buildBundle(inv: Inventory, opts: BuildBundleOptions): Promise<BundleIndex> {
  const out = resolve(opts.out);
  const filesRoot = join(out, 'files');
  const { version, verified, files } = await releaseArtifacts(inv, opts.arch, opts);
  const index: BundleIndex = { bundleVersion: 1, cluster: inv.metadata.name, kubernetesVersion: version, arch: opts.arch, files: [], manifests: [], images: [] };

  for (const v of verified) {
    const target = join(filesRoot, relative(opts.cacheDir, v.localPath));
    await place(v.localPath, target, v.sha256);
    const sumFrom = join(dirname(v.localPath), `${v.file.sumPath.split('/').pop()!}`);
    await place(sumFrom, join(dirname(target), v.file.sumPath.split('/').pop()!), await fileSha256(sumFrom));
    const node = v.file.install.kind === 'binary' ? { remotePath: v.file.install.remotePath, mode: 0o755 } : {};
    index.files.push({ path: rel(out, target), name: v.file.name, version: v.file.version, sha256: v.sha256, size: v.bytes.length, source: v.url, ...node });
  }
  for (const f of files) {
    if (verified.some((v) => v.localPath === f.localPath)) continue; // binaries: listed above
    const target = join(filesRoot, relative(opts.cacheDir, f.localPath));
    await place(f.localPath, target, f.sha256);
    const from = verified.find((v) => f.source.startsWith(`${v.url}#`));
    index.files.push({ path: rel(out, target), name: f.remotePath.split('/').pop()!, version: from?.file.version ?? version, sha256: f.sha256, size: f.size, source: f.source, remotePath: f.remotePath, mode: f.mode });
  }

  for (const entry of opts.manifests) {
    const bytes = await fetchManifest(entry, { ...opts.manifestOptions, offline: opts.manifestOptions.offline || opts.offline });
    const target = join(out, BUNDLE_MANIFESTS_DIR, ...entry.path.split('/'));
    await writeFileAtomic(target, bytes);
    index.manifests.push({ path: rel(out, target), set: entry.id, version: entry.version, sha256: entry.sha256, source: entry.url });
  }

  const client = new RegistryClient(inv.spec.runtime.registryMirrors, opts);
  for (const ref of opts.images) {
    const img = await imageArchive(ref, opts.arch, { cacheDir: opts.cacheDir, offline: opts.offline, client, ...(opts.onDownload ? { onDownload: opts.onDownload } : {}) });
    const target = join(out, 'images', opts.arch, img.archivePath.split(sep).pop()!);
    await place(img.archivePath, target, img.archiveSha256);
    index.images.push({ ref: img.ref, digest: img.digest, path: rel(out, target), sha256: img.archiveSha256, size: img.size });
  }
  await writeFileAtomic(join(out, BUNDLE_FILE), Buffer.from(`${JSON.stringify(index, null, 2)}\n`));
  return index;
}

/** bundle.json of a bundle folder, parsed and checked. */
export async function readBundleIndex(dir: string): Promise<BundleIndex> {
  const file = join(dir, BUNDLE_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new KubelabError(`no bundle at ${dir} (${BUNDLE_FILE} missing)`, 'build one with kubelab bundle build -i INVENTORY --out DIR');
  }
  let parsed;
  try {
    parsed = bundleSchema.safeParse(JSON.parse(text));
  } catch (e) {
    throw new KubelabError(`${file}: not JSON: ${(e as Error).message}`);
  }
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new KubelabError(`${file}: ${first ? `${first.path.join('.')}: ${first.message}` : 'invalid'}`);
  }
  return parsed.data;
}

/**
 * InstallArtifacts from a bundle alone: every listed file and image archive must exist with its sum (anything
 * missing or different is named, all at once); the bundle must be for this architecture and version.
 */
export async function readBundle(dir: string, want: { arch: Arch; version: string }): Promise<InstallArtifacts> {
  const index = await readBundleIndex(dir);
  if (index.arch !== want.arch) throw new KubelabError(`bundle ${dir} is for linux/${index.arch}, the nodes are linux/${want.arch}`);
  if (index.kubernetesVersion !== want.version && !index.kubernetesVersion.startsWith(`${want.version}.`)) {
    throw new KubelabError(`bundle ${dir} holds Kubernetes ${index.kubernetesVersion}, the inventory asks for ${want.version}`, 'build the bundle again from this inventory');
  }
  const problems: string[] = [];
  const check = async (path: string, sha256: string): Promise<string> => {
    const file = join(dir, ...path.split('/'));
    const got = await fileSha256(file).catch(() => undefined);
    if (got === undefined) problems.push(`${path} is missing`);
    else if (got !== sha256) problems.push(`${path}: sha256 ${got}, bundle.json says ${sha256}`);
    return file;
  };
  const files: NodeFile[] = [];
  for (const f of index.files) {
    const localPath = await check(f.path, f.sha256);
    if (f.remotePath) files.push({ localPath, sha256: f.sha256, size: f.size, remotePath: f.remotePath, mode: f.mode ?? 0o755, source: `${BUNDLE_FILE}: ${f.path}` });
  }
  const images: NodeImage[] = [];
  for (const i of index.images) {
    const archivePath = await check(i.path, i.sha256);
    images.push({ ref: i.ref, digest: i.digest, archivePath, archiveSha256: i.sha256, size: i.size });
  }
  if (problems.length) throw new KubelabError(`bundle ${dir} is incomplete or damaged: ${problems.join('; ')}`, 'build it again with kubelab bundle build');
  return { kubernetesVersion: index.kubernetesVersion, files, images };
}

/**
 * The bundle folder as one uncompressed tar (the images inside are compressed already), every file under
 * `<folder name>/`, in name order; `tar -xf` unpacks it on the machine that installs.
 */
export async function archiveBundle(dir: string, file: string): Promise<void> {
  const root = resolve(dir);
  const entries: TarEntry[] = [];
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    entries.push({ name: `${basename(root)}/${rel(root, path)}`, file: path, size: (await stat(path)).size });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  await writeTarFile(file, entries);
}
