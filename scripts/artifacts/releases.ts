/**
 * Where the Kubernetes release files come from: the release tree (https://dl.k8s.io) and the GitHub release
 * downloads of the CNI plugins and crictl, each with the sha256 file published beside it. Pure data + URLs.
 */
import { UsageError } from '../util/errors.js';
import type { Arch } from '../engine/install-artifacts.js';

export const DL_K8S_IO = 'https://dl.k8s.io';
export const GITHUB = 'https://github.com';

/**
 * Companion versions per Kubernetes minor (data, one row per minor). 1.35 and 1.36: what ../shared/k8s builds
 * and tests use (cni-plugins v1.9.1, crictl v1.34.0: the Go module proxy serves no crictl v1.35.x). 1.30-1.34:
 * the kubernetes-cni / cri-tools versions of the pkgs.k8s.io v1.N repositories as the author remembers them,
 * not checked here (no network): a missing or wrong release is reported by the download with its URL.
 */
export const COMPANIONS: Readonly<Record<number, { readonly cni: string; readonly crictl: string }>> = {
  30: { cni: '1.4.0', crictl: '1.30.1' },
  31: { cni: '1.5.1', crictl: '1.31.1' },
  32: { cni: '1.6.0', crictl: '1.32.0' },
  33: { cni: '1.6.0', crictl: '1.33.0' },
  34: { cni: '1.7.1', crictl: '1.34.0' },
  35: { cni: '1.9.1', crictl: '1.34.0' },
  36: { cni: '1.9.1', crictl: '1.34.0' },
};

const EXACT = /^1\.(\d+)\.(\d+)$/;
const MINOR = /^1\.(\d+)$/;

export function companionsOf(version: string): { readonly cni: string; readonly crictl: string } {
  const m = EXACT.exec(version) ?? MINOR.exec(version);
  const c = m ? COMPANIONS[Number(m[1])] : undefined;
  if (!c) {
    throw new UsageError(
      `no CNI plugins / crictl versions known for Kubernetes ${version}`,
      `kubelab knows 1.${Object.keys(COMPANIONS).join(', 1.')} (scripts/artifacts/releases.ts)`,
    );
  }
  return c;
}

export const isExactVersion = (v: string): boolean => EXACT.test(v);

/** The path of stable-1.N.txt under the release tree base, for a minor-only version "1.N". */
export function stablePath(version: string): string {
  if (!MINOR.test(version)) throw new UsageError(`not a minor-only Kubernetes version: ${version}`);
  return `release/stable-${version}.txt`;
}

/** The content of stable-1.N.txt ("v1.35.4", maybe with a newline) as an exact version of that minor. */
export function parseStable(text: string, version: string, url: string): string {
  const v = text.trim().replace(/^v/, '');
  if (!EXACT.test(v) || !v.startsWith(`${version}.`)) {
    throw new UsageError(`${url} does not name a ${version}.x release: ${JSON.stringify(text.slice(0, 40))}`);
  }
  return v;
}

/** A release file: where it lives relative to a base URL, and the sha256 file published beside it. */
export interface ReleaseFile {
  /** 'kubernetes' (dl.k8s.io) or 'github'. */
  readonly origin: 'kubernetes' | 'github';
  /** Path under the base URL, also the file's place in the cache and in a bundle (under the origin's host name). */
  readonly path: string;
  /** The sha256 file beside it (path under the same base). */
  readonly sumPath: string;
  readonly name: string;
  readonly version: string;
  /** How to install it: one binary, or the members of a .tar.gz. */
  readonly install:
    | { readonly kind: 'binary'; readonly remotePath: string }
    | { readonly kind: 'tarball'; readonly remoteDir: string };
}

/** Every release file of an exact Kubernetes version for one node architecture. */
export function releaseFiles(version: string, arch: Arch): ReleaseFile[] {
  if (!EXACT.test(version)) throw new UsageError(`not an exact Kubernetes version: ${version}`);
  const { cni, crictl } = companionsOf(version);
  const bins = ['kubeadm', 'kubelet', 'kubectl'].map((name): ReleaseFile => {
    const path = `release/v${version}/bin/linux/${arch}/${name}`;
    return { origin: 'kubernetes', path, sumPath: `${path}.sha256`, name, version, install: { kind: 'binary', remotePath: `/usr/bin/${name}` } };
  });
  const cniPath = `containernetworking/plugins/releases/download/v${cni}/cni-plugins-linux-${arch}-v${cni}.tgz`;
  const crictlPath = `kubernetes-sigs/cri-tools/releases/download/v${crictl}/crictl-v${crictl}-linux-${arch}.tar.gz`;
  return [
    ...bins,
    { origin: 'github', path: cniPath, sumPath: `${cniPath}.sha256`, name: 'cni-plugins', version: cni, install: { kind: 'tarball', remoteDir: '/opt/cni/bin' } },
    { origin: 'github', path: crictlPath, sumPath: `${crictlPath}.sha256`, name: 'crictl', version: crictl, install: { kind: 'tarball', remoteDir: '/usr/bin' } },
  ];
}

/** The host name standing for an origin in caches and bundles (the mirror layout of ../shared/k8s). */
export const ORIGIN_HOST = { kubernetes: 'dl.k8s.io', github: 'github.com' } as const;

/** The first 64-hex word of a .sha256 file ("<hex>" or "<hex>  <file>"). */
export function parseSumFile(text: string, url: string): string {
  const m = /^\s*([0-9a-fA-F]{64})(?:\s|$)/.exec(text);
  if (!m) throw new UsageError(`${url} is not a sha256 file: ${JSON.stringify(text.slice(0, 80))}`);
  return m[1]!.toLowerCase();
}
