/**
 * The pods the checks start in the smoke namespace: one image for all of them, pinned to nodes by nodeName,
 * reporting through their termination message (status.containerStatuses[].state.terminated.message), which
 * reaches the API server with the pod status: no `kubectl logs`/exec, so no API server -> kubelet connection is
 * needed to read a result (that connection is what a wrong node IP breaks).
 */
import { DEFAULTS } from '../inventory/schema.js';
import type { InventoryNode } from '../inventory/types.js';
import type { KEvent, KPod } from '../k8s/api.js';
import { podIsReady, podProblem, type PodProblem } from './pod-diagnosis.js';
import type { CheckContext, CheckName } from './types.js';

/**
 * The default image (spec.checks.image overrides it): Kubernetes' e2e test image agnhost 2.59 (Kubernetes v1.35's
 * own e2e tests use it): Alpine with curl, dig (bind-tools) and sh, plus /agnhost (netexec: an HTTP server whose
 * /hostname answers the pod name). The scripts below use only sh, curl, dig, grep, tr, tee, sleep, printf, cat and
 * sync, which the Debian/busybox build of agnhost 2.59 in ../shared/k8s has too (checked in its image).
 */
export const SMOKE_IMAGE = DEFAULTS.checkImage;
export const NETEXEC_PORT = 8080;
export const CHECK_LABEL = 'kubelab.io/check';
export const NAMESPACE_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/managed-by': 'kubelab' };

/** One-shot probes: each "NAME=URL" argument is fetched (3 tries); one line per target "ok NAME" / "fail NAME ERROR". */
/**
 * Fetches each target ("name=url" arguments after the retry budget in seconds), retrying a failing one every
 * second until the budget, counted from the pod's start and shared by all targets, is spent (each target is
 * tried at least once): kube-proxy programs a new Service's rules some seconds after its endpoints appear, and
 * until then a NodePort is rejected. One line per target ("ok <name>" or "fail <name> <error>") is the report.
 */
export const PROBE_SCRIPT = [
  'end=$(( $(date +%s) + $1 )); shift',
  'fails=0',
  'for t in "$@"; do',
  '  name=${t%%=*}; url=${t#*=}; err=',
  '  while :; do',
  '    if out=$(curl -sS -m 3 -o /dev/null -w "%{http_code}" "$url" 2>&1) && [ "$out" = 200 ]; then err=; break; fi',
  '    err=$(printf "%s" "$out" | tr "\\n" " ")',
  '    [ "$(date +%s)" -lt "$end" ] || break',
  '    sleep 1',
  '  done',
  '  if [ -z "$err" ]; then echo "ok $name"; else echo "fail $name $err"; fails=$((fails+1)); fi',
  'done >/dev/termination-log',
  'cat /dev/termination-log',
  '[ "$fails" -eq 0 ]',
].join('\n');

/** Resolves $1 with the pod's resolv.conf search path (3 tries); the answer (or dig's error) is the message. */
export const DNS_SCRIPT = [
  'for i in 1 2 3; do',
  '  out=$(dig +search +short +time=3 +tries=1 "$1" 2>&1)',
  '  if printf "%s\\n" "$out" | grep -Eq "^[0-9]+(\\.[0-9]+){3}$"; then printf "%s\\n" "$out" | tee /dev/termination-log; exit 0; fi',
  '  sleep 1',
  'done',
  'printf "%s\\n" "$out" | tee /dev/termination-log',
  'exit 1',
].join('\n');

export interface SmokePodSpec {
  /** The checks' image: spec.checks.image (ctx.inv). */
  image: string;
  nodeName?: string;
  /** argv replacing the image's entrypoint (e.g. ['sh', '-c', SCRIPT, 'sh', ...args]). */
  command?: string[];
  /** Arguments to /agnhost (e.g. ['netexec', '--http-port=8080']) when command is not given. */
  args?: string[];
  labels?: Record<string, string>;
  /** Serve netexec on NETEXEC_PORT with a readiness probe. */
  server?: boolean;
  pvc?: { claimName: string; mountPath: string };
}

/** A DNS-1123 label from parts (node names may be longer or carry dots). */
export function objectName(...parts: string[]): string {
  const name = parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return name.slice(0, 63).replace(/-+$/, '');
}

export function smokePod(check: CheckName, name: string, s: SmokePodSpec): KPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { ...NAMESPACE_LABELS, [CHECK_LABEL]: check, ...s.labels } },
    spec: {
      ...(s.nodeName ? { nodeName: s.nodeName } : {}),
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      tolerations: [{ operator: 'Exists' }],
      containers: [
        {
          name: 'main',
          image: s.image,
          imagePullPolicy: 'IfNotPresent',
          ...(s.command ? { command: s.command } : {}),
          ...(s.args ? { args: s.args } : {}),
          ...(s.server
            ? {
                ports: [{ containerPort: NETEXEC_PORT, name: 'http' }],
                readinessProbe: { httpGet: { path: '/hostname', port: NETEXEC_PORT }, periodSeconds: 2 },
              }
            : {}),
          ...(s.pvc ? { volumeMounts: [{ name: 'data', mountPath: s.pvc.mountPath }] } : {}),
          terminationMessagePolicy: 'FallbackToLogsOnError',
        },
      ],
      ...(s.pvc ? { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: s.pvc.claimName } }] } : {}),
    },
  };
}

/** A netexec server pod (ready once it answers /hostname). */
export function serverPod(check: CheckName, image: string, name: string, nodeName: string | undefined, labels?: Record<string, string>): KPod {
  return smokePod(check, name, { image, nodeName, args: ['netexec', `--http-port=${NETEXEC_PORT}`], server: true, labels });
}

/** A one-shot probe pod fetching each target URL, failing ones retried for retrySeconds (PROBE_SCRIPT). */
export function probePod(
  check: CheckName,
  image: string,
  name: string,
  nodeName: string,
  targets: readonly { name: string; url: string }[],
  retrySeconds: number,
): KPod {
  const args = [String(Math.max(0, Math.round(retrySeconds))), ...targets.map((t) => `${t.name}=${t.url}`)];
  return smokePod(check, name, { image, nodeName, command: ['sh', '-c', PROBE_SCRIPT, 'sh', ...args] });
}

/** Container states that will not get better by waiting. */
const HOPELESS = new Set(['ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName', 'CreateContainerConfigError', 'CrashLoopBackOff']);

export interface WaitResult {
  /** The pod as last seen (null: it disappeared). */
  pod: KPod | null;
  /** The awaited state was reached. */
  done: boolean;
  /** Set when waiting was cut short by hopeless state or a failFast verdict. */
  stuck?: string;
}

/**
 * Polls the pod until it is Ready with an IP ('ready') or has finished ('finished'); stops early on hopeless
 * container states, on failFast's verdict, or at ctx.settings.podTimeoutMs.
 */
export async function waitPod(
  ctx: CheckContext,
  name: string,
  until: 'ready' | 'finished',
  failFast?: (pod: KPod) => Promise<string | undefined>,
): Promise<WaitResult> {
  const deadline = ctx.now() + ctx.settings.podTimeoutMs;
  for (;;) {
    const pod = await ctx.api.getPod(ctx.namespace, name);
    if (!pod) return { pod, done: false, stuck: 'the pod disappeared' };
    const phase = pod.status?.phase;
    if (until === 'finished' && (phase === 'Succeeded' || phase === 'Failed')) return { pod, done: true };
    if (until === 'ready' && podIsReady(pod) && pod.status?.podIP) return { pod, done: true };
    if (until === 'ready' && (phase === 'Succeeded' || phase === 'Failed')) return { pod, done: false, stuck: `the pod ${phase}` };
    const hopeless = pod.status?.containerStatuses?.map((s) => s.state?.waiting?.reason).find((r) => r && HOPELESS.has(r));
    if (hopeless) return { pod, done: false, stuck: hopeless };
    const verdict = failFast ? await failFast(pod) : undefined;
    if (verdict) return { pod, done: false, stuck: verdict };
    if (ctx.now() >= deadline) return { pod, done: false };
    await ctx.sleep(ctx.settings.pollMs);
  }
}

/** Why a smoke pod did not get where it should, from its status and events. */
export async function smokePodProblem(ctx: CheckContext, pod: KPod | null, name: string, waited: WaitResult): Promise<PodProblem> {
  if (!pod) return { summary: `${name}: disappeared` };
  let events: KEvent[] = [];
  try {
    events = await ctx.api.listEvents(ctx.namespace, name);
  } catch {
    // Events only sharpen the diagnosis.
  }
  const p = podProblem(pod, events, { imageRepository: ctx.inv.spec.kubernetes.imageRepository }) ?? { summary: `${name}: ${pod.status?.phase ?? 'Unknown'}` };
  const timedOut = !waited.done && !waited.stuck ? ` (not done after ${Math.round(ctx.settings.podTimeoutMs / 1000)} s)` : '';
  return { summary: `${p.summary}${timedOut}`, ...(p.cause ? { cause: p.cause } : {}) };
}

export function terminationMessage(pod: KPod | null): string {
  return (pod?.status?.containerStatuses?.[0]?.state?.terminated?.message ?? '').trim();
}

export interface ProbeLine {
  ok: boolean;
  error?: string;
}

/** PROBE_SCRIPT's report: target name -> result. */
export function parseProbeReport(message: string): Map<string, ProbeLine> {
  const out = new Map<string, ProbeLine>();
  for (const line of message.split('\n')) {
    const m = /^(ok|fail) (\S+)(?: (.*))?$/.exec(line.trim());
    if (!m) continue;
    out.set(m[2]!, m[1] === 'ok' ? { ok: true } : { ok: false, error: (m[3] ?? '').trim() });
  }
  return out;
}

export interface NodeSelection {
  /** Inventory nodes registered and Ready: where pods are placed. */
  nodes: InventoryNode[];
  /** Why the others are not tested, e.g. "worker1 (NotReady)". */
  untested: string[];
}

/** The inventory's nodes that can take a test pod: registered and Ready. */
export async function testableNodes(ctx: CheckContext): Promise<NodeSelection> {
  const live = new Map((await ctx.api.listNodes()).map((n) => [n.metadata.name, n]));
  const nodes: InventoryNode[] = [];
  const untested: string[] = [];
  for (const n of ctx.inv.spec.nodes) {
    const node = live.get(n.name);
    if (!node) untested.push(`${n.name} (not registered)`);
    else if (node.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') untested.push(`${n.name} (NotReady)`);
    else nodes.push(n);
  }
  return { nodes, untested };
}

/** Creates the pods, then waits for each (in parallel). */
export async function startAndWait(ctx: CheckContext, pods: readonly KPod[], until: 'ready' | 'finished'): Promise<Map<string, WaitResult>> {
  for (const p of pods) await ctx.api.createPod(ctx.namespace, p);
  const results = await Promise.all(pods.map(async (p) => [p.metadata.name, await waitPod(ctx, p.metadata.name, until)] as const));
  return new Map(results);
}

/** Diagnoses of pods that did not reach their state, as one text (deduplicated causes). */
export async function describeStuck(ctx: CheckContext, waits: ReadonlyMap<string, WaitResult>): Promise<{ summaries: string[]; causes: string[] }> {
  const summaries: string[] = [];
  const causes: string[] = [];
  for (const [name, w] of waits) {
    if (w.done) continue;
    const p = await smokePodProblem(ctx, w.pod, name, w);
    summaries.push(p.summary);
    if (p.cause && !causes.includes(p.cause)) causes.push(p.cause);
  }
  return { summaries, causes };
}
