import { StepError } from '../engine/errors.js';
import type { Step } from '../engine/types.js';
import { VIRTUALBOX_NAT_ADDRESS } from '../inventory/schema.js';
import type { Inventory } from '../inventory/types.js';
import { clusterApi } from '../k8s/cluster-api.js';
import { summarizeNode, type NodeSummary } from '../k8s/nodes.js';

/** Every inventory node registered with its inventory address as InternalIP; problems named per node. */
export function nodeAddressProblems(inv: Inventory, nodes: readonly NodeSummary[]): { node: string; registered: boolean; message: string; hint?: string }[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const problems: { node: string; registered: boolean; message: string; hint?: string }[] = [];
  for (const n of inv.spec.nodes) {
    const live = byName.get(n.name);
    if (!live) {
      problems.push({ node: n.name, registered: false, message: `${n.name} is not registered in the cluster`, hint: `kubelab up --only join (logs: .kubelab/${inv.metadata.name}/logs/)` });
    } else if (live.internalIp === VIRTUALBOX_NAT_ADDRESS) {
      problems.push({
        node: n.name,
        registered: true,
        message: `${n.name} registered with InternalIP ${VIRTUALBOX_NAT_ADDRESS}, the VirtualBox NAT address every VM shares: the node-ip fix is missing`,
        hint: `its kubelet must run with --node-ip=${n.address}: kubelab up --only ${n.role === 'control-plane' ? 'control-plane' : 'join'} sets it in /var/lib/kubelet/kubeadm-flags.env (/etc/default/kubelet KUBELET_EXTRA_ARGS overrides it)`,
      });
    } else if (live.internalIp !== n.address) {
      problems.push({
        node: n.name,
        registered: true,
        message: `${n.name} registered with InternalIP ${live.internalIp ?? 'none'}, not its inventory address ${n.address}`,
        hint: `kubelab up --only ${n.role === 'control-plane' ? 'control-plane' : 'join'} sets its kubelet's --node-ip to the inventory address (or kubelab heal)`,
      });
    }
  }
  return problems;
}

/** After the network: every Node's InternalIP is its inventory address (fail loudly on 10.0.2.15). */
export const nodeAddressesStep: Step = {
  name: 'node-addresses',
  plan: async () => [],
  async verify(host) {
    const problems = nodeAddressProblems(host.inv, (await (await clusterApi(host.cluster)).listNodes()).map(summarizeNode));
    if (problems.length) {
      throw new StepError(problems.map((p) => p.message).join('; '), problems.map((p) => p.hint).filter(Boolean).join('; '));
    }
  },
};
