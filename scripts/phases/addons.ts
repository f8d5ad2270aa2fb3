import type { Phase } from '../engine/types.js';
import { initNode } from '../inventory/topology.js';
import { kubePrometheusStep } from '../steps/addon-kube-prometheus.js';
import { kubeletServingCertsStep } from '../steps/addon-kubelet-serving-certs.js';
import { metricsServerStep } from '../steps/addon-metrics-server.js';
import { nfsProvisionerStep } from '../steps/addon-nfs-provisioner.js';

/**
 * The addons of spec.addons, through the API from the control-plane node (after the network phase): NFS dynamic
 * volumes, metrics-server (the kubelet serving certificates first, in tls: bootstrap), kube-prometheus. A disabled
 * addon's step does not apply and is not reported; disabling an addon later does not remove it from the cluster.
 */
export const addonsPhase: Phase = {
  name: 'addons',
  title: 'Addons: NFS provisioner, metrics-server, kube-prometheus',
  hosts: (inv) => [initNode(inv)],
  steps: [nfsProvisionerStep, kubeletServingCertsStep, metricsServerStep, kubePrometheusStep],
};
