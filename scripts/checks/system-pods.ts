/**
 * Check `system-pods`: every pod of kube-system, kube-flannel and the addons' namespaces Ready (or completed).
 * Containers that restarted are reported in the detail (a pod Ready now after restarts passes: a crash-looping one
 * is not Ready and fails with its diagnosis), so slowness that kills components shows instead of hiding.
 */
import { addonNamespace } from './addons.js';
import type { KEvent, KPod } from '../k8s/api.js';
import { FLANNEL_NAMESPACE } from './flannel.js';
import { podProblem } from './pod-diagnosis.js';
import type { Check, CheckContext } from './types.js';

/** Namespaces that must exist, then the addons' (checked when present). */
export function systemNamespaces(ctx: CheckContext): { required: string[]; optional: string[] } {
  const optional = [addonNamespace(ctx.inv, 'nfsProvisioner'), addonNamespace(ctx.inv, 'monitoring')];
  const required = ['kube-system', FLANNEL_NAMESPACE];
  return { required, optional: [...new Set(optional.filter((n) => !required.includes(n)))] };
}

/**
 * The containers of a pod that restarted: "ns/pod container ×N (last: Error exit 1)", one per container, init
 * containers included.
 */
export function podRestarts(ns: string, pod: KPod): string[] {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return statuses
    .filter((cs) => (cs.restartCount ?? 0) > 0)
    .map((cs) => {
      const last = cs.lastState?.terminated;
      const why = last ? ` (last: ${last.reason ?? 'terminated'} exit ${last.exitCode})` : '';
      return `${ns}/${pod.metadata.name} ${cs.name} ×${cs.restartCount}${why}`;
    });
}

/** "; restarts: a ×3 (...), b ×1" or nothing. */
function restartsText(restarts: readonly string[]): string {
  return restarts.length ? `; ${restarts.length} container${restarts.length === 1 ? '' : 's'} restarted: ${restarts.join(', ')}` : '';
}

export const systemPodsCheck: Check = {
  name: 'system-pods',
  title: 'system and addon pods Ready',
  usesNamespace: false,
  async run(ctx) {
    const { required, optional } = systemNamespaces(ctx);
    const summaries: string[] = [];
    const causes: string[] = [];
    /** cause -> the pods it explains (one cause, several pods: one line). */
    const podCauses = new Map<string, string[]>();
    const checked: string[] = [];
    const restarts: string[] = [];
    let total = 0;
    for (const ns of [...required, ...optional]) {
      if (!(await ctx.api.namespaceExists(ns))) {
        if (required.includes(ns)) {
          summaries.push(`namespace ${ns} missing`);
          causes.push(ns === FLANNEL_NAMESPACE ? 'flannel is not installed (no kube-flannel namespace): kubelab up --only network' : `namespace ${ns} is missing`);
        }
        continue;
      }
      checked.push(ns);
      const pods = await ctx.api.listPods(ns);
      total += pods.length;
      let events: KEvent[] | undefined;
      for (const pod of pods) {
        restarts.push(...podRestarts(ns, pod));
        const first = podProblem(pod, []);
        if (!first) continue;
        events ??= await ctx.api.listEvents(ns).catch(() => []);
        const p = podProblem(pod, events, { imageRepository: ctx.inv.spec.kubernetes.imageRepository }) ?? first;
        summaries.push(p.summary);
        if (p.cause) podCauses.set(p.cause, [...(podCauses.get(p.cause) ?? []), `${ns}/${pod.metadata.name}`]);
      }
    }
    for (const [cause, pods] of podCauses) causes.push(`${pods.join(', ')}: ${cause}`);
    if (!summaries.length) return { ok: true, detail: `${total} pods Ready in ${checked.join(', ')}${restartsText(restarts)}` };
    return {
      ok: false,
      detail: `${summaries.length} not Ready of ${total} in ${checked.join(', ') || 'no namespace'}: ${summaries.join('; ')}${restartsText(restarts)}`,
      ...(causes.length ? { diagnosis: causes.join('; ') } : {}),
    };
  },
};
