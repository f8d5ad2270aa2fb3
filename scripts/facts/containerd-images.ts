import type { Fact } from '../engine/types.js';

/** containerd's Kubernetes namespace, where the CRI plugin (kubelet, kubeadm, crictl) looks for images. */
export const K8S_NAMESPACE = 'k8s.io';

export interface ContainerdImages {
  /** false when `ctr` is not installed yet (a plan before the runtime phase ran): no image is present. */
  readonly ctr: boolean;
  /** Image name -> target digest (sha256:<hex>), as `ctr images ls` lists them. */
  readonly images: ReadonlyMap<string, string>;
}

/**
 * The images in containerd's k8s.io namespace (`ctr -n k8s.io images ls`), optionally only the one named `ref`
 * (a `name==REF` filter). A missing ctr answers exit 3; containerd not answering is an error.
 */
export function containerdImages(ref?: string): Fact<ContainerdImages> {
  return {
    key: ref ? `ctr-images:${ref}` : 'ctr-images',
    argv: [
      'sh',
      '-c',
      'command -v ctr >/dev/null 2>&1 || exit 3; ns=$1; shift; exec ctr -n "$ns" images ls "$@"',
      'sh',
      K8S_NAMESPACE,
      ...(ref ? [`name==${ref}`] : []),
    ],
    okCodes: [0, 3],
    parse: (r) => ({ ctr: r.code !== 3, images: r.code === 3 ? new Map() : parseCtrImages(r.stdout) }),
  };
}

/**
 * `ctr images ls` is a table: a header `REF TYPE DIGEST SIZE PLATFORMS LABELS`, then one row per image with
 * columns separated by spaces (names and digests hold none; SIZE does, so only the first three are read).
 */
export function parseCtrImages(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [ref, type, digest] = line.trim().split(/\s+/);
    if (!ref || ref === 'REF' || !type || !digest || !/^sha256:[0-9a-f]{64}$/.test(digest)) continue;
    out.set(ref, digest);
  }
  return out;
}
