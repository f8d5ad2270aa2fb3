/** Check `nodes`: every inventory node registered, Ready, with its inventory address as InternalIP. */
import { VIRTUALBOX_NAT_ADDRESS } from '../inventory/schema.js';
import type { KNode } from '../k8s/api.js';
import { clip, firstLine } from './pod-diagnosis.js';
import type { Check } from './types.js';

function notReadyCause(name: string, node: KNode): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const msg = ready?.message ?? '';
  if (/NetworkPluginNotReady|network plugin (is )?not ready|cni plugin not initialized/i.test(msg)) {
    return `${name} is NotReady because the pod network is not running there (${clip(msg, 160)}): flannel is not installed or its pod on ${name} is not running (see the system-pods check; kubelab up --only network)`;
  }
  if (ready?.status === 'Unknown' || ready?.reason === 'NodeStatusUnknown') {
    return `${name} stopped reporting (${ready.reason ?? 'Unknown'}: ${firstLine(msg)}): its kubelet is down or cannot reach the API server (kubelab doctor --nodes ${name} names why)`;
  }
  const pressure = node.status?.conditions?.filter((c) => c.type !== 'Ready' && c.status === 'True').map((c) => c.type) ?? [];
  return `${name} is NotReady (${ready?.reason ?? 'no Ready condition'}${msg ? `: ${clip(msg, 160)}` : ''})${pressure.length ? `; conditions: ${pressure.join(', ')}` : ''}`;
}

export const nodesCheck: Check = {
  name: 'nodes',
  title: 'every node Ready with its inventory address',
  usesNamespace: false,
  async run(ctx) {
    const live = await ctx.api.listNodes();
    const byName = new Map(live.map((n) => [n.metadata.name, n]));
    const problems: string[] = [];
    const causes: string[] = [];
    const fine: string[] = [];
    for (const n of ctx.inv.spec.nodes) {
      const node = byName.get(n.name);
      if (!node) {
        problems.push(`${n.name} not registered`);
        causes.push(`${n.name} has not joined the cluster (no Node object): kubelab up --only join`);
        continue;
      }
      const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      const bad: string[] = [];
      if (!ready) {
        bad.push('NotReady');
        causes.push(notReadyCause(n.name, node));
      }
      if (ip !== n.address) {
        bad.push(`InternalIP ${ip ?? 'none'} != ${n.address}`);
        causes.push(
          ip === VIRTUALBOX_NAT_ADDRESS
            ? `${n.name} registered with InternalIP ${VIRTUALBOX_NAT_ADDRESS}, the NAT address every VM shares: the node-ip fix is missing (kubelet needs --node-ip=${n.address}: kubeadm nodeRegistration.kubeletExtraArgs node-ip; then reset and rejoin ${n.name})`
            : `${n.name} registered with InternalIP ${ip ?? 'none'}, not its inventory address ${n.address}: its kubelet's --node-ip is wrong (reset and rejoin ${n.name})`,
        );
      }
      if (bad.length) problems.push(`${n.name} ${bad.join(', ')}`);
      else fine.push(n.name);
    }
    const known = new Set(ctx.inv.spec.nodes.map((n) => n.name));
    const extra = live.map((n) => n.metadata.name).filter((n) => !known.has(n));
    const extraText = extra.length ? `; not in the inventory: ${extra.join(', ')}` : '';
    if (!problems.length) {
      return { ok: true, detail: `${fine.length} nodes Ready with their inventory addresses (${fine.join(', ')})${extraText}` };
    }
    return {
      ok: false,
      detail: `${problems.join('; ')}${fine.length ? `; fine: ${fine.join(', ')}` : ''}${extraText}`,
      diagnosis: causes.join('; '),
    };
  },
};
