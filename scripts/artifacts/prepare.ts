/**
 * prepareArtifacts: what the `binaries` install of an inventory needs, as verified files on the workstation:
 * from the artifact cache (downloading what is missing, unless offline) or, with spec.kubernetes.bundle, from
 * that bundle alone (no network at all).
 */
import { join } from 'node:path';
import type { Inventory } from '../inventory/types.js';
import { readIfExists, sha256Hex, writeFileAtomic } from '../manifests/store.js';
import { KubelabError } from '../util/errors.js';
import { readBundle } from './bundle.js';
import { parseImageRef } from './image-ref.js';
import { fetchReleaseFile, resolveVersion, type DownloadOptions, type VerifiedFile } from './downloads.js';
import type { HttpOptions } from './http.js';
import { releaseFiles } from './releases.js';
import { readTar } from './tar.js';
import type { Arch, InstallArtifacts, NodeFile } from '../engine/install-artifacts.js';

export interface PrepareOptions extends HttpOptions {
  readonly cacheDir: string;
  /** Never download (--offline): anything missing is an error naming it. */
  readonly offline: boolean;
  /**
   * Images the cluster needs (full references, e.g. from clusterImages in commands/bundle.ts): with a bundle,
   * any of them not in the bundle is an error naming them all, before anything is uploaded.
   */
  readonly requiredImages?: readonly string[];
}

/** Where the members of a verified tarball are extracted: `<root>/extracted/<tarball sha256>/<member>`. */
export const extractDir = (root: string, tarballSha256: string): string => join(root, 'extracted', tarballSha256);

/**
 * The files a node receives for one verified release file: the binary itself, or each regular file of the
 * tarball (extracted beside the cache, written only when missing or different), mode 0755.
 */
export async function nodeFilesOf(v: VerifiedFile, root: string): Promise<NodeFile[]> {
  const { install } = v.file;
  if (install.kind === 'binary') {
    return [{ localPath: v.localPath, sha256: v.sha256, size: v.bytes.length, remotePath: install.remotePath, mode: 0o755, source: v.url }];
  }
  const dir = extractDir(root, v.sha256);
  const out: NodeFile[] = [];
  for (const m of readTar(v.bytes, v.url)) {
    if (m.name.includes('/')) continue; // release tarballs hold their files at the top; nothing below belongs in a bin dir
    const localPath = join(dir, m.name);
    const sha256 = sha256Hex(m.data);
    const have = await readIfExists(localPath);
    if (!have || sha256Hex(have) !== sha256) await writeFileAtomic(localPath, m.data, 0o755);
    out.push({ localPath, sha256, size: m.data.length, remotePath: `${install.remoteDir}/${m.name}`, mode: 0o755, source: `${v.url}#${m.name}` });
  }
  return out;
}

/** The exact version and the verified release files of an inventory, from the cache or downloaded. */
export async function releaseArtifacts(inv: Inventory, arch: Arch, opts: PrepareOptions): Promise<{ version: string; verified: VerifiedFile[]; files: NodeFile[] }> {
  const dl: DownloadOptions = { ...opts, mirrors: inv.spec.mirrors };
  const version = await resolveVersion(inv.spec.kubernetes.version, dl);
  const verified: VerifiedFile[] = [];
  for (const f of releaseFiles(version, arch)) verified.push(await fetchReleaseFile(f, dl));
  const files: NodeFile[] = [];
  for (const v of verified) files.push(...(await nodeFilesOf(v, opts.cacheDir)));
  return { version, verified, files };
}

/**
 * InstallArtifacts for an inventory and node architecture. With spec.kubernetes.bundle: read from the bundle
 * only (every file checked against bundle.json, images included). Else: release files from the cache,
 * downloading what is missing (not offline); images empty (the nodes pull them).
 */
export async function prepareArtifacts(inv: Inventory, arch: Arch, opts: PrepareOptions): Promise<InstallArtifacts> {
  const bundle = inv.spec.kubernetes.bundle;
  if (bundle) {
    const artifacts = await readBundle(bundle, { arch, version: inv.spec.kubernetes.version });
    const have = new Set(artifacts.images.map((i) => i.ref));
    const missing = (opts.requiredImages ?? []).map((r) => parseImageRef(r).full).filter((r) => !have.has(r));
    if (missing.length) {
      throw new KubelabError(`bundle ${bundle} lacks images the cluster runs: ${missing.join(', ')}`, 'build the bundle again from this inventory (kubelab bundle build)');
    }
    return artifacts;
  }
  const { version, files } = await releaseArtifacts(inv, arch, opts);
  return { kubernetesVersion: version, files, images: [] };
}
