/**
 * Release files (kubeadm, kubelet, kubectl, CNI plugins, crictl) in a workstation cache laid out like the
 * download sites (`<cacheDir>/dl.k8s.io/release/...`, `<cacheDir>/github.com/...`): each file next to the
 * sha256 published beside it upstream. A file is used only when its bytes match that sum; a download is
 * written only after it matched. The same layout is the `files/` folder of a bundle.
 */
import { join } from 'node:path';
import type { MirrorsSpec } from '../inventory/types.js';
import { readIfExists, sha256Hex, writeFileAtomic } from '../manifests/store.js';
import { KubelabError } from '../util/errors.js';
import { httpBytes, joinUrl, type HttpOptions } from './http.js';
import { DL_K8S_IO, GITHUB, ORIGIN_HOST, isExactVersion, parseStable, parseSumFile, stablePath, type ReleaseFile } from './releases.js';

export interface DownloadOptions extends HttpOptions {
  /** Where verified files are kept (default artifactCacheDir()). */
  readonly cacheDir: string;
  /** Never download: a file missing from the cache is an error naming it. */
  readonly offline: boolean;
  readonly mirrors: MirrorsSpec;
}

/** The base URL an origin is downloaded from: the mirror setting, or the upstream site. */
export function originBase(origin: ReleaseFile['origin'], mirrors: MirrorsSpec): string {
  return origin === 'kubernetes' ? (mirrors.kubernetesReleases ?? DL_K8S_IO) : (mirrors.githubReleases ?? GITHUB);
}

/** Where a release file (or its sum file) sits in a cache or a bundle's files/ folder. */
export const cachePath = (dir: string, origin: ReleaseFile['origin'], path: string): string => join(dir, ORIGIN_HOST[origin], ...path.split('/'));

/** A release file verified against its sha256 file. */
export interface VerifiedFile {
  readonly file: ReleaseFile;
  readonly localPath: string;
  readonly sha256: string;
  readonly bytes: Buffer;
  /** The URL it came from (or would come from, when it was already cached). */
  readonly url: string;
}

function offlineMissing(what: string, url: string, dir: string): KubelabError {
  return new KubelabError(
    `offline: ${what} is not in ${dir}`,
    `download ${url} once without --offline (or run kubelab bundle build where the network works)`,
  );
}

/**
 * The exact version for an inventory version: "1.35.4" as is; "1.35" through release/stable-1.35.txt, read from
 * the cache when it was resolved before (delete that file to resolve again), else downloaded and cached.
 */
export async function resolveVersion(version: string, opts: DownloadOptions): Promise<string> {
  if (isExactVersion(version)) return version;
  const path = stablePath(version);
  const url = joinUrl(originBase('kubernetes', opts.mirrors), path);
  const local = cachePath(opts.cacheDir, 'kubernetes', path);
  const cached = await readIfExists(local);
  if (cached) return parseStable(cached.toString('utf8'), version, local);
  if (opts.offline) throw offlineMissing(`the latest ${version}.x release (${path})`, url, opts.cacheDir);
  opts.onDownload?.({ what: `the latest ${version}.x release number`, url, into: local });
  const bytes = await httpBytes(url, opts);
  const exact = parseStable(bytes.toString('utf8'), version, url);
  await writeFileAtomic(local, bytes);
  return exact;
}

/** The file from the cache when it matches its cached sum; else (not offline) downloaded, verified, cached. */
export async function fetchReleaseFile(file: ReleaseFile, opts: DownloadOptions): Promise<VerifiedFile> {
  const base = originBase(file.origin, opts.mirrors);
  const url = joinUrl(base, file.path);
  const localPath = cachePath(opts.cacheDir, file.origin, file.path);
  const sumLocal = cachePath(opts.cacheDir, file.origin, file.sumPath);
  const [sumText, cached] = await Promise.all([readIfExists(sumLocal), readIfExists(localPath)]);
  if (sumText && cached) {
    const expected = parseSumFile(sumText.toString('utf8'), sumLocal);
    if (sha256Hex(cached) === expected) return { file, localPath, sha256: expected, bytes: cached, url };
  }
  if (opts.offline) throw offlineMissing(`${file.name} ${file.version} (${file.path})`, url, opts.cacheDir);

  opts.onDownload?.({ what: `${file.name} ${file.version}`, url, into: localPath });
  const sumUrl = joinUrl(base, file.sumPath);
  const sumBytes = await httpBytes(sumUrl, opts);
  const expected = parseSumFile(sumBytes.toString('utf8'), sumUrl);
  const bytes = await httpBytes(url, opts);
  const got = sha256Hex(bytes);
  if (got !== expected) {
    throw new KubelabError(
      `sha256 mismatch for ${url}: expected ${expected} (from ${sumUrl}), got ${got}`,
      'the download or the mirror is corrupt or not the release it claims to be; nothing was cached',
    );
  }
  // the file first, its sum last: a cache entry is complete when its sum file exists and matches
  await writeFileAtomic(localPath, bytes);
  await writeFileAtomic(sumLocal, sumBytes);
  return { file, localPath, sha256: expected, bytes, url };
}
