import type { Phase } from '../engine/types.js';
import { initNode } from '../inventory/topology.js';
import { corednsReadyStep } from '../steps/coredns-ready.js';
import { nodeAddressesStep } from '../steps/node-addresses.js';
import { flannelStep } from '../steps/flannel.js';

/** The pod network (flannel on the host-only NIC), then proof: node addresses right, CoreDNS available. */
export const networkPhase: Phase = {
  name: 'network',
  title: 'Pod network (flannel on the host-only NIC), node addresses, CoreDNS',
  hosts: (inv) => [initNode(inv)],
  steps: [flannelStep, nodeAddressesStep, corednsReadyStep],
};
