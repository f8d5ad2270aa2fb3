import type { Step } from '../engine/types.js';
import { waitMs } from '../inventory/timing.js';
import { clusterApi } from '../k8s/cluster-api.js';

/** CoreDNS answers only once the pod network works: its Deployment available is the sign. */
export const corednsReadyStep: Step = {
  name: 'coredns',
  plan: async () => [],
  async verify(host) {
    await (await clusterApi(host.cluster)).waitDeploymentAvailable('kube-system', 'coredns', waitMs(host.inv, 5 * 60_000));
  },
};
