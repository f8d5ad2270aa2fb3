import type { Phase } from '../engine/types.js';
import { controlPlaneJoinStep } from '../steps/control-plane-join.js';
import { controlPlaneKubeconfigStep } from '../steps/control-plane-kubeconfig.js';
import { kubeadmInitStep } from '../steps/kubeadm-init.js';

/** `kubeadm init` on the first control-plane node (once), and kubectl set up for the login user there. */
export const controlPlanePhase: Phase = {
  name: 'control-plane',
  title: 'Control plane (kubeadm init)',
  hosts: (inv) => inv.spec.nodes.filter((n) => n.role === 'control-plane'),
  steps: [kubeadmInitStep, controlPlaneKubeconfigStep, controlPlaneJoinStep],
};
