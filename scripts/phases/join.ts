import type { Phase } from '../engine/types.js';
import { initNode } from '../inventory/topology.js';
import { kubeadmJoinStep } from '../steps/kubeadm-join.js';
import { kubeletNodeIpStep } from '../steps/kubelet-node-ip.js';

/** Workers join the cluster (kubeadm join with a short-lived bootstrap token), after the control plane. */
export const joinPhase: Phase = {
  name: 'join',
  title: 'Workers join the cluster (kubeadm join)',
  hosts: (inv) => inv.spec.nodes.filter((n) => n.role === 'worker'),
  dependsOn: (_node, inv) => [initNode(inv).name],
  steps: [kubeadmJoinStep, kubeletNodeIpStep],
};
