/**
 * cni-not-loaded: a Node NotReady because its runtime has no pod network ("cni plugin not initialized") while the
 * flannel pod on it runs and is Ready: flannel has written its CNI configuration and containerd has not loaded it.
 * A missing or broken flannel is left to flannel-wrong-iface and the pods source.
 */
import { FLANNEL_NAMESPACE } from '../checks/flannel.js';
import { CNI_NOT_LOADED_CAUSE, networkNotReady, readyFlannelPod } from '../checks/nodes.js';
import type { DoctorSource, Finding } from './types.js';

export const RESTART_CONTAINERD = ['systemctl', 'restart', 'containerd'];

export const cniSource: DoctorSource = {
  name: 'cni',
  facts: () => [],
  async diagnose(ctx) {
    if (!ctx.api) return [];
    const names = new Set(ctx.nodes.map((n) => n.name));
    const stuck = (await ctx.api.listNodes()).filter((n) => names.has(n.metadata.name) && networkNotReady(n));
    if (!stuck.length) return [];
    const pods = await ctx.api.listPods(FLANNEL_NAMESPACE);
    const out: Finding[] = [];
    for (const live of stuck) {
      const node = live.metadata.name;
      const flannel = readyFlannelPod(pods, node);
      if (!flannel) continue;
      out.push({
        code: 'cni-not-loaded',
        node,
        symptom: `${node} is NotReady (${networkNotReady(live)!}) although its flannel pod ${flannel.metadata.name} runs and is Ready`,
        cause: CNI_NOT_LOADED_CAUSE,
        ...ctx.fix.repaired({ commands: [{ node, argv: RESTART_CONTAINERD }] }),
      });
    }
    return out;
  },
};
