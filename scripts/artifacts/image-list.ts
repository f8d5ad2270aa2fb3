/**
 * Which images a cluster runs: kubeadm's control-plane images of the exact version (the list
 * `kubeadm config images list --kubernetes-version v<version>` prints, honouring imageRepository), and the
 * images named by rendered manifests (flannel, the addons), read from the objects so the list cannot drift.
 */
import { pauseTag } from '../inventory/versions.js';
import { imageFromRepository, podContainers, UPSTREAM_REGISTRY } from '../manifests/objects.js';
import type { K8sObject } from '../manifests/yaml.js';
import { UsageError } from '../util/errors.js';

/**
 * etcd and CoreDNS per Kubernetes minor, from kubeadm's constants (cmd/kubeadm/app/constants: DefaultEtcdVersion,
 * CoreDNSVersion). Only minors checked against a real kubeadm are listed (1.35: v1.35.4's kubeadm, test
 * image-list); the pause tag comes from kube/versions.ts.
 */
export const KUBEADM_IMAGES: Readonly<Record<number, { readonly etcd: string; readonly coredns: string }>> = {
  35: { etcd: '3.6.6-0', coredns: 'v1.13.1' },
};

/** `kubeadm config images list --kubernetes-version v<version> [--image-repository repo]`, in kubeadm's order. */
export function controlPlaneImages(version: string, imageRepository: string): string[] {
  const m = /^1\.(\d+)\.(\d+)$/.exec(version);
  if (!m) throw new UsageError(`not an exact Kubernetes version: ${version}`);
  const known = KUBEADM_IMAGES[Number(m[1])];
  if (!known) {
    throw new UsageError(
      `kubelab does not know kubeadm ${version}'s etcd and CoreDNS images`,
      `bundles are supported for Kubernetes 1.${Object.keys(KUBEADM_IMAGES).join(', 1.')} (scripts/artifacts/image-list.ts)`,
    );
  }
  const repo = imageRepository.replace(/\/+$/, '');
  const core = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy'].map((n) => `${repo}/${n}:v${version}`);
  // kubeadm: CoreDNS sits under coredns/ only on the default registry (a custom repository gets <repo>/coredns)
  const coredns = repo === UPSTREAM_REGISTRY ? `${repo}/coredns/coredns:${known.coredns}` : imageFromRepository(`${UPSTREAM_REGISTRY}/coredns/coredns:${known.coredns}`, repo);
  return [...core, coredns, `${repo}/pause:${pauseTag(version)}`, `${repo}/etcd:${known.etcd}`];
}

/** Every container image (init containers included) of the workloads among the objects, first appearance first. */
export function workloadImages(objects: readonly K8sObject[]): string[] {
  const out = new Set<string>();
  for (const o of objects) for (const c of podContainers(o)) if (typeof c.image === 'string') out.add(c.image);
  return [...out];
}
