import type { Phase } from '../engine/types.js';
import { containerImagesStep } from '../steps/container-images.js';
import { crictlStep } from '../steps/crictl.js';
import { kubeletUnitStep } from '../steps/kubelet-unit.js';
import { kubernetesBinariesStep } from '../steps/kubernetes-binaries.js';
import { kubernetesPackagesStep } from '../steps/kubernetes-packages.js';
import { kubernetesRepoStep } from '../steps/kubernetes-repo.js';

/**
 * kubeadm, kubelet and kubectl of the chosen version, by spec.kubernetes.install: `packages` from pkgs.k8s.io,
 * pinned and held; `binaries` from the release files prepared on the workstation (uploaded, verified), with the
 * packages' kubelet unit, and a bundle's images imported into containerd (the runtime phase ran before).
 * crictl pointed at containerd either way.
 */
export const packagesPhase: Phase = {
  name: 'packages',
  title: 'Kubernetes packages (kubeadm, kubelet, kubectl)',
  // crictl comes with cri-tools (or the binaries) from this phase: its config is written once it exists
  steps: [kubernetesRepoStep, kubernetesPackagesStep, kubernetesBinariesStep, kubeletUnitStep, crictlStep, containerImagesStep],
};
