import { UsageError } from '../util/errors.js';
import type { Inventory } from './types.js';

/** Facts about Kubernetes releases that kubelab needs (sources: kubeadm's constants, kubernetes.io blog). */

/** "1.35" or "1.35.2" -> 35. */
export function minorOf(version: string): number {
  const m = /^1\.(\d+)(?:\.\d+)?$/.exec(version);
  if (!m) throw new UsageError(`not a Kubernetes version: ${version}`, 'spec.kubernetes.version takes a minor (1.35) or an exact release (1.35.2)');
  return Number(m[1]);
}

/** "v1.35" for repository paths. */
export function minorTag(version: string): string {
  return `v1.${minorOf(version)}`;
}

/**
 * The pause (sandbox) image tag kubeadm expects for a minor (`kubeadm config images list` is the truth):
 * 3.9 for 1.29-1.30, 3.10 for 1.31-1.33, 3.10.1 from 1.34.
 */
export function pauseTag(version: string): string {
  const minor = minorOf(version);
  if (minor <= 30) return '3.9';
  if (minor <= 33) return '3.10';
  return '3.10.1';
}

export function pauseImage(version: string, imageRepository: string): string {
  return `${imageRepository.replace(/\/+$/, '')}/pause:${pauseTag(version)}`;
}

/** Kubernetes 1.35 is the last release that supports containerd 1.x. */
export function minimumContainerdMajor(version: string): number {
  return minorOf(version) >= 36 ? 2 : 1;
}

/** The exact version assumed where no node is asked: the inventory's, with .0 when it names only a minor. */
export function assumedVersion(inv: Inventory): string {
  const v = inv.spec.kubernetes.version;
  return /^1\.\d+\.\d+$/.test(v) ? v : `${v}.0`;
}
