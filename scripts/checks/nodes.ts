/** Check `nodes`: every inventory node registered, Ready, with its inventory address as InternalIP. */
import { VIRTUALBOX_NAT_ADDRESS } from '../inventory/schema.js';
import type { KNode, KPod } from '../k8s/api.js';
import { FLANNEL_NAMESPACE } from './flannel.js';
import { clip, firstLine } from './pod-diagnosis.js';
import type { Check } from './types.js';

/** The Ready condition's message when a Node is NotReady because its runtime has no pod network (no CNI loaded). */
export function networkNotReady(node: KNode): string | undefined {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const msg = ready?.message ?? '';
  return ready?.status !== 'True' && /NetworkPluginNotReady|network plugin (is )?not ready|cni plugin not initialized/i.test(msg) ? msg : undefined;
}

/** The running, Ready flannel pod on `node`, if any (its install-cni init container has then written the CNI config). */
export function readyFlannelPod(pods: readonly KPod[], node: string): KPod | undefined {
  return pods.find(
    (p) => p.spec?.nodeName === node && p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
}

/** Why containerd has no pod network while flannel's configuration is there (checks and doctor say the same). */
export const CNI_NOT_LOADED_CAUSE =
  "flannel has written its CNI configuration to /etc/cni/net.d, but containerd has not loaded it: containerd 1.6 watches the folder it found at its start, and misses a configuration written after /etc/cni/net.d was removed and made again (a kubeadm reset followed by rm -rf /etc/cni/net.d)";

function notReadyCause(name: string, node: KNode, flannelPods: readonly KPod[]): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const msg = ready?.message ?? '';
  if (networkNotReady(node)) {
    const flannel = readyFlannelPod(flannelPods, name);
    if (flannel) {
      return `${name} is NotReady with no pod network (${clip(msg, 160)}) although its flannel pod ${flannel.metadata.name} runs: ${CNI_NOT_LOADED_CAUSE}; restart containerd there (kubelab heal, or kubelab exec --nodes ${name} -- systemctl restart containerd)`;
    }
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
    // flannel's pods, read only when a node has no pod network (to tell a missing flannel from a CNI config unloaded)
    const flannelPods = live.some((n) => networkNotReady(n)) ? await ctx.api.listPods(FLANNEL_NAMESPACE).catch(() => []) : [];
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
        causes.push(notReadyCause(n.name, node, flannelPods));
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
