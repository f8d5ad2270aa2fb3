import type { Phase } from '../engine/types.js';
import { kubernetesPackagesStep } from '../steps/kubernetes-packages.js';
import { kubernetesRepoStep } from '../steps/kubernetes-repo.js';

/** kubeadm, kubelet and kubectl from pkgs.k8s.io for the chosen minor, pinned and held. */
export const packagesPhase: Phase = {
  name: 'packages',
  title: 'Kubernetes packages (kubeadm, kubelet, kubectl)',
  steps: [kubernetesRepoStep, kubernetesPackagesStep],
};
