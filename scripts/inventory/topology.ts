import { UsageError } from '../util/errors.js';
import type { Inventory, InventoryNode } from './types.js';

/**
 * The cluster's shape as the inventory fixes it: which node runs `kubeadm init`, where the API server listens,
 * where kubeadm leaves the admin kubeconfig. Shared by facts, steps, render, k8s and commands.
 */

/** containerd's CRI socket; kubeadm needs it spelled out when Docker's socket exists too. */
export const CRI_SOCKET = 'unix:///var/run/containerd/containerd.sock';
export const API_SERVER_PORT = 6443;
/** The cluster-admin kubeconfig kubeadm writes on the control plane (holds a client key: read as root only). */
export const ADMIN_CONF = '/etc/kubernetes/admin.conf';

/** The node `kubeadm init` runs on: the first control-plane node of the inventory. */
export function initNode(inv: Inventory): InventoryNode {
  const node = inv.spec.nodes.find((n) => n.role === 'control-plane');
  if (!node) throw new UsageError('the inventory has no control-plane node', 'give one node role: control-plane in spec.nodes');
  return node;
}

/**
 * The cluster's API endpoint: spec.kubernetes.controlPlaneEndpoint, or "<first control-plane name>:6443"
 * (node names resolve on every node through the managed /etc/hosts block).
 */
export function controlPlaneEndpoint(inv: Inventory): string {
  return inv.spec.kubernetes.controlPlaneEndpoint ?? `${initNode(inv).name}:${API_SERVER_PORT}`;
}

/** The endpoint with a port, as bootstrap-token discovery needs it (kubeadm adds :6443 only to controlPlaneEndpoint). */
export function apiServerEndpoint(inv: Inventory): string {
  const ep = controlPlaneEndpoint(inv);
  return /:\d+$/.test(ep) ? ep : `${ep}:${API_SERVER_PORT}`;
}

/**
 * Whether the kubelets get serving certificates from the cluster CA: metrics-server enabled with tls: bootstrap.
 * Set in the init configuration's KubeletConfiguration, which kubeadm stores cluster-wide (ConfigMap
 * kube-system/kubelet-config) and hands to every node that joins.
 */
export function kubeletServingBootstrap(inv: Inventory): boolean {
  const ms = inv.spec.addons.metricsServer;
  return ms.enabled && ms.tls === 'bootstrap';
}
