/** Why a pod is not Ready, named from its status and events the way an experienced admin would read them. */
import type { KContainerStatus, KEvent, KPod } from '../k8s/api.js';

export interface PodProblem {
  /** "kube-system/coredns-abc on master: ContainerCreating" */
  summary: string;
  /** The likely cause, when the status or events say. */
  cause?: string;
}

export interface DiagnoseOptions {
  /** spec.kubernetes.imageRepository, named when an image cannot be pulled. */
  imageRepository?: string;
}

const PULL_ERRORS = new Set(['ImagePullBackOff', 'ErrImagePull', 'ErrImageNeverPull', 'InvalidImageName', 'RegistryUnavailable']);

export function firstLine(text: string | undefined): string {
  return (text ?? '').trim().split('\n')[0] ?? '';
}

/** The first line of a message, cut in the middle when long (the end of an error chain names the cause). */
export function clip(text: string | undefined, max = 240): string {
  const line = firstLine(text);
  if (line.length <= max) return line;
  const half = Math.floor((max - 5) / 2);
  return `${line.slice(0, half)} ... ${line.slice(line.length - half)}`;
}

export function podName(pod: KPod): string {
  return `${pod.metadata.namespace ? `${pod.metadata.namespace}/` : ''}${pod.metadata.name}`;
}

export function podIsReady(pod: KPod): boolean {
  if (pod.status?.phase === 'Succeeded') return true;
  return pod.status?.phase === 'Running' && pod.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

/** Events about this pod, newest last (as listed), Warning ones only. */
export function podWarnings(pod: KPod, events: readonly KEvent[]): KEvent[] {
  return events.filter((e) => e.involvedObject.name === pod.metadata.name && (e.involvedObject.kind ?? 'Pod') === 'Pod' && e.type !== 'Normal');
}

/** The cause named by a volume mount failure message (NFS helpers, exports, reachability). */
export function mountFailureCause(message: string, node: string | undefined): string | undefined {
  const on = node ? ` on ${node}` : '';
  if (/need a \/sbin\/mount\.\S+ helper/.test(message) || /mount\.nfs4?: (command )?not found/.test(message)) {
    return `NFS mounts fail${on}: "need a /sbin/mount.<type> helper program": the nfs-common package (mount.nfs) is missing${on}; every node needs it (kubelab up --only packages)`;
  }
  if (/access denied by server/i.test(message)) {
    return `the NFS server refused the mount${on} ("access denied by server"): /etc/exports must allow the nodes' network (spec.network.nodeCidr) and be re-exported (exportfs -ra)`;
  }
  // only an NFS mount's failure: "MountVolume.SetUp failed" alone names every kind of volume
  if (/(Connection timed out|No route to host|Connection refused|timed out)/i.test(message) && /mount\.nfs|-t nfs|\bnfs\b/i.test(message)) {
    return `the NFS server is unreachable${on} (${clip(message, 160)}): check that nfs-server runs and the node reaches it on the host-only network`;
  }
  // a ConfigMap, Secret or service-account token volume: the kubelet reads it from the API server
  if (/failed to sync (configmap|secret) cache|failed to fetch token/i.test(message)) {
    return `the kubelet${on} could not read the volume's ConfigMap, Secret or token from the API server in time (${clip(message, 160)}): the API server is slow or unreachable from the node; it is tried again`;
  }
  return undefined;
}

function sandboxCause(message: string, node: string | undefined): string {
  if (/\/run\/flannel\/subnet\.env/.test(message)) {
    return `the pod sandbox cannot be created${node ? ` on ${node}` : ''}: flannel is not ready there (/run/flannel/subnet.env missing): see the kube-flannel pod on that node`;
  }
  if (/network plugin is not ready|cni plugin not initialized|failed to find plugin/i.test(message)) {
    return `the pod network is not running${node ? ` on ${node}` : ''} (${clip(message, 160)})`;
  }
  return `the pod sandbox cannot be created: ${clip(message, 200)}`;
}

function containerCause(cs: KContainerStatus, specImage: string | undefined, opts: DiagnoseOptions): string | undefined {
  const waiting = cs.state?.waiting;
  const reason = waiting?.reason ?? '';
  if (PULL_ERRORS.has(reason)) {
    const image = cs.image || specImage || '?';
    const repo = opts.imageRepository && image.startsWith(`${opts.imageRepository}/`) ? ` (spec.kubernetes.imageRepository ${opts.imageRepository})` : '';
    return `image ${image} cannot be pulled (${reason}${waiting?.message ? `: ${clip(waiting.message, 200)}` : ''}): its registry${repo} is unreachable from the node or does not have it; check registry mirrors / imageRepository`;
  }
  if (reason === 'CrashLoopBackOff') {
    const last = cs.lastState?.terminated;
    const lastText = last
      ? `last exit ${last.reason ?? 'terminated'} code ${last.exitCode}${last.message ? `: ${clip(last.message, 200)}` : ''}`
      : 'no previous exit recorded';
    return `container ${cs.name} is crash-looping (${cs.restartCount ?? 0} restarts; ${lastText}); its logs: kubectl logs -p -c ${cs.name}`;
  }
  if (reason === 'CreateContainerConfigError' || reason === 'CreateContainerError' || reason === 'RunContainerError') {
    return `container ${cs.name} cannot be created (${reason}: ${clip(waiting?.message, 200)})`;
  }
  const term = cs.state?.terminated;
  if (term && term.exitCode !== 0) {
    return `container ${cs.name} exited${term.reason ? ` (${term.reason})` : ''} with code ${term.exitCode}${term.message ? `: ${clip(term.message, 200)}` : ''}`;
  }
  return undefined;
}

/** Why `pod` is not Ready; undefined when it is (or has completed). */
export function podProblem(pod: KPod, events: readonly KEvent[], opts: DiagnoseOptions = {}): PodProblem | undefined {
  if (podIsReady(pod)) return undefined;
  const node = pod.spec?.nodeName;
  const phase = pod.status?.phase ?? 'Unknown';
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const waitingReason = statuses.map((s) => s.state?.waiting?.reason).find((r) => r && r !== 'PodInitializing');
  const state = waitingReason ?? (phase === 'Running' ? 'Running, not Ready' : phase);
  const summary = `${podName(pod)}${node ? ` on ${node}` : ''}: ${state}`;
  const specImage = (name: string): string | undefined => pod.spec?.containers.find((c) => c.name === name)?.image;

  if (phase === 'Failed') {
    const reason = pod.status?.reason;
    const c = statuses.map((s) => containerCause(s, specImage(s.name), opts)).find(Boolean);
    return { summary, cause: c ?? `the pod failed${reason ? ` (${reason}${pod.status?.message ? `: ${firstLine(pod.status.message)}` : ''})` : ''}` };
  }
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return {
      summary: `${podName(pod)}: Pending (unschedulable)`,
      cause: `cannot be scheduled: ${firstLine(scheduled.message)} (not enough CPU/memory on the nodes, or taints it does not tolerate)`,
    };
  }
  for (const cs of statuses) {
    const cause = containerCause(cs, specImage(cs.name), opts);
    if (cause) return { summary, cause };
  }
  const warnings = podWarnings(pod, events);
  const sandbox = warnings.filter((e) => e.reason === 'FailedCreatePodSandBox').pop();
  if (sandbox) return { summary, cause: sandboxCause(sandbox.message ?? '', node) };
  const mount = warnings.filter((e) => e.reason === 'FailedMount' || e.reason === 'FailedAttachVolume').pop();
  if (mount) {
    return { summary, cause: mountFailureCause(mount.message ?? '', node) ?? `a volume cannot be mounted: ${clip(mount.message, 200)}` };
  }
  const unhealthy = warnings.filter((e) => e.reason === 'Unhealthy').pop();
  if (unhealthy) return { summary, cause: `probe failing: ${clip(unhealthy.message, 200)}` };
  const other = warnings.pop();
  if (other) return { summary, cause: `${other.reason ?? 'Warning'}: ${clip(other.message, 200)}` };
  return { summary };
}
