import type { Phase } from '../engine/types.js';
import { crictlStep } from '../steps/crictl.js';
import { kubernetesPackagesStep } from '../steps/kubernetes-packages.js';
import { kubernetesRepoStep } from '../steps/kubernetes-repo.js';

/** kubeadm, kubelet and kubectl from pkgs.k8s.io for the chosen minor, pinned and held; crictl pointed at containerd. */
export const packagesPhase: Phase = {
  name: 'packages',
  title: 'Kubernetes packages (kubeadm, kubelet, kubectl)',
  // crictl comes with cri-tools from this phase: its config is written once it exists
  steps: [kubernetesRepoStep, kubernetesPackagesStep, crictlStep],
};
