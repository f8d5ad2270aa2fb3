/** pod-crashloop, pod-image-pull: kube-system and kube-flannel pods stuck in CrashLoopBackOff or an image pull error. */
import { podName, podProblem } from '../checks/pod-diagnosis.js';
import { FLANNEL_NAMESPACE } from '../checks/flannel.js';
import type { KPod } from '../k8s/api.js';
import type { DoctorSource, Finding, FindingCode } from './types.js';

export const DOCTOR_POD_NAMESPACES = ['kube-system', FLANNEL_NAMESPACE] as const;
const PULL = new Set(['ImagePullBackOff', 'ErrImagePull']);

/** The finding code of a pod's waiting containers, when one is crash-looping or cannot pull its image. */
export function stuckCode(pod: KPod): { code: FindingCode; container: string } | undefined {
  for (const cs of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const reason = cs.state?.waiting?.reason ?? '';
    if (reason === 'CrashLoopBackOff') return { code: 'pod-crashloop', container: cs.name };
    if (PULL.has(reason)) return { code: 'pod-image-pull', container: cs.name };
  }
  return undefined;
}

export const podsSource: DoctorSource = {
  name: 'pods',
  facts: () => [],
  async diagnose(ctx) {
    if (!ctx.api) return [];
    const out: Finding[] = [];
    const names = new Set(ctx.nodes.map((n) => n.name));
    for (const ns of DOCTOR_POD_NAMESPACES) {
      const stuck = (await ctx.api.listPods(ns)).map((pod) => ({ pod, s: stuckCode(pod) })).filter((x) => x.s && (!x.pod.spec?.nodeName || names.has(x.pod.spec.nodeName)));
      if (!stuck.length) continue;
      const events = await ctx.api.listEvents(ns).catch(() => []);
      for (const { pod, s } of stuck) {
        const p = podProblem(pod, events, { imageRepository: ctx.inv.spec.kubernetes.imageRepository });
        const node = pod.spec?.nodeName;
        out.push({
          code: s!.code,
          ...(node ? { node } : {}),
          symptom: p?.summary ?? `${podName(pod)}: ${s!.code}`,
          cause: p?.cause ?? 'no reason recorded',
          fix:
            s!.code === 'pod-crashloop'
              ? `read why it exits: ${ctx.fix.kubectl(['-n', ns, 'logs', '-p', pod.metadata.name, '-c', s!.container, '--tail=20'])}`
              : `make the image reachable from ${node ?? 'the node'} (spec.runtime.registryMirrors, or an offline bundle: ${ctx.fix.kubelab(['up', '--only', 'packages', '--bundle', 'DIR'])}), then ${ctx.fix.kubectl(['-n', ns, 'delete', 'pod', pod.metadata.name])}`,
        });
      }
    }
    return out;
  },
};
