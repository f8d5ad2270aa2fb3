import { StepError } from '../engine/errors.js';
import type { Step } from '../engine/types.js';
import { initNode } from '../inventory/topology.js';

/**
 * Further control-plane nodes (allowed by the inventory with controlPlaneEndpoint) would join with
 * `kubeadm join --control-plane` and uploaded certificates; not implemented yet, so they fail plainly.
 */
export const controlPlaneJoinStep: Step = {
  name: 'control-plane-join',
  appliesTo: (node, inv) => node.role === 'control-plane' && node.name !== initNode(inv).name,
  async plan(host) {
    throw new StepError(
      `${host.node.name}: joining a second control-plane node is not supported yet (the cluster is initialised on ${initNode(host.inv).name})`,
      `make ${host.node.name} a worker in the inventory`,
    );
  },
};
