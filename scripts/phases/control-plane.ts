import type { Phase } from '../engine/types.js';
import { controlPlaneAddressStep } from '../steps/control-plane-address.js';
import { controlPlaneJoinStep } from '../steps/control-plane-join.js';
import { controlPlaneKubeconfigStep } from '../steps/control-plane-kubeconfig.js';
import { kubeadmInitStep } from '../steps/kubeadm-init.js';
import { kubeletNodeIpStep } from '../steps/kubelet-node-ip.js';

/**
 * `kubeadm init` on the first control-plane node (once; re-addressed when its address changed), kubectl set up for
 * the login user there, and the kubelet's --node-ip kept the inventory address.
 */
export const controlPlanePhase: Phase = {
  name: 'control-plane',
  title: 'Control plane (kubeadm init)',
  hosts: (inv) => inv.spec.nodes.filter((n) => n.role === 'control-plane'),
  steps: [controlPlaneAddressStep, kubeadmInitStep, controlPlaneKubeconfigStep, controlPlaneJoinStep, kubeletNodeIpStep],
};
