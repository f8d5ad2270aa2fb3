/** Check `metrics`: the metrics API (metrics.k8s.io/v1beta1 nodes) reports usage for every node. */
import { ApiError, type KApiService, type KNodeMetrics } from '../k8s/api.js';
import { clip, podIsReady, podProblem } from './pod-diagnosis.js';
import type { Check, CheckContext } from './types.js';

export const METRICS_APISERVICE = 'v1beta1.metrics.k8s.io';
export const METRICS_SERVER_SELECTOR = 'k8s-app=metrics-server';

const INSECURE_OR_BOOTSTRAP =
  'kubeadm kubelets serve self-signed certificates: use the metrics-server addon with tls: insecure (--kubelet-insecure-tls), or tls: bootstrap (serverTLSBootstrap in the kubelet configuration and the kubelet-serving CSRs approved)';

/** The cause in metrics-server's own logs (scrape errors), if any. */
export function causeFromMetricsServerLog(log: string): string | undefined {
  const lines = log.split('\n');
  const x509 = lines.filter((l) => /x509|failed to verify certificate/.test(l)).pop();
  if (x509) {
    const node = /node="([^"]+)"/.exec(x509)?.[1];
    const err = /(x509: [^"\\]+)/.exec(x509)?.[1] ?? 'x509 error';
    return `metrics-server rejects the kubelet serving certificate${node ? ` of ${node}` : 's'} (${err.trim()}): ${INSECURE_OR_BOOTSTRAP}`;
  }
  const unreachable = lines.filter((l) => /Failed to scrape node/.test(l) && /(no route to host|i\/o timeout|connection refused|context deadline exceeded)/.test(l)).pop();
  if (unreachable) {
    const node = /node="([^"]+)"/.exec(unreachable)?.[1];
    return `metrics-server cannot reach the kubelet${node ? ` of ${node}` : ''} on port 10250 (${/(no route to host|i\/o timeout|connection refused|context deadline exceeded)/.exec(unreachable)![1]}): check the node's InternalIP (nodes check) and that nothing blocks 10250`;
  }
  const scrape = lines.filter((l) => /Failed to scrape node/.test(l)).pop();
  return scrape ? `metrics-server cannot scrape a kubelet: ${clip(scrape.trim(), 240)}` : undefined;
}

async function metricsServerState(ctx: CheckContext): Promise<{ pods: string[]; logCause?: string; nodes: string[] }> {
  const pods = await ctx.api.listPods('kube-system', METRICS_SERVER_SELECTOR).catch(() => []);
  let logCause: string | undefined;
  for (const p of pods) {
    const log = await ctx.api.podLogs('kube-system', p.metadata.name, { tailLines: 300 }).catch(() => '');
    logCause ??= causeFromMetricsServerLog(log);
  }
  return {
    pods: pods.filter((p) => !podIsReady(p)).map((p) => podProblem(p, [])?.summary ?? p.metadata.name),
    logCause,
    nodes: pods.map((p) => p.spec?.nodeName ?? '').filter(Boolean),
  };
}

async function unavailableCause(ctx: CheckContext, svc: KApiService): Promise<string> {
  const cond = svc.status?.conditions?.find((c) => c.type === 'Available');
  const backend = svc.spec?.service?.name;
  if (backend && backend !== 'metrics-server') {
    return `${METRICS_APISERVICE} is served by ${svc.spec?.service?.namespace}/${backend}, not metrics-server: prometheus-adapter and metrics-server both claim it; install one`;
  }
  const state = await metricsServerState(ctx);
  if (state.logCause) return state.logCause;
  if (state.pods.length) return `metrics-server is not Ready (${state.pods.join('; ')})`;
  const msg = cond?.message ?? '';
  if (cond?.reason === 'MissingEndpoints' || /no addresses|endpoints/.test(msg)) {
    return 'metrics-server has no ready endpoint: its pod is not Ready (its readiness needs one successful scrape of every kubelet; see its logs)';
  }
  if (/(i\/o timeout|context deadline exceeded|no route to host|connection refused)/.test(msg)) {
    return `the API server cannot reach the metrics-server pod${state.nodes.length ? ` on ${state.nodes.join(', ')}` : ''} (${clip(msg, 160)}): pod traffic from the control plane is broken (see the pod-network check)`;
  }
  return `APIService ${METRICS_APISERVICE} is not Available: ${cond?.reason ?? 'no Available condition'}${msg ? `: ${clip(msg, 200)}` : ''}`;
}

export const metricsCheck: Check = {
  name: 'metrics',
  title: 'the metrics API reports every node',
  addon: 'metricsServer',
  usesNamespace: false,
  async run(ctx) {
    const svc = await ctx.api.getApiService(METRICS_APISERVICE);
    if (!svc) {
      return { ok: false, detail: `APIService ${METRICS_APISERVICE} is not registered`, diagnosis: 'metrics-server is not installed: kubelab up --only addons' };
    }
    const cond = svc.status?.conditions?.find((c) => c.type === 'Available');
    if (cond?.status !== 'True') {
      return {
        ok: false,
        detail: `APIService ${METRICS_APISERVICE} not Available (${cond?.reason ?? 'no condition'}${cond?.message ? `: ${clip(cond.message, 160)}` : ''})`,
        diagnosis: await unavailableCause(ctx, svc),
      };
    }
    const registered = new Set((await ctx.api.listNodes()).map((n) => n.metadata.name));
    const expected = ctx.inv.spec.nodes.map((n) => n.name).filter((n) => registered.has(n));
    const deadline = ctx.now() + ctx.settings.metricsWaitMs;
    let items: KNodeMetrics[] = [];
    let lastError: string | undefined;
    let missing: string[] = expected;
    for (;;) {
      try {
        items = await ctx.api.nodeMetrics();
        lastError = undefined;
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        lastError = err.message;
      }
      const have = new Set(items.filter((m) => m.usage?.cpu && m.usage.memory).map((m) => m.metadata.name));
      missing = expected.filter((n) => !have.has(n));
      if (!missing.length && !lastError) break;
      if (ctx.now() >= deadline) break;
      await ctx.sleep(ctx.settings.pollMs);
    }
    if (!missing.length && !lastError) {
      const usage = items
        .filter((m) => expected.includes(m.metadata.name))
        .map((m) => `${m.metadata.name} cpu ${m.usage?.cpu} memory ${m.usage?.memory}`);
      return { ok: true, detail: usage.join('; ') };
    }
    const state = await metricsServerState(ctx);
    const unregistered = ctx.inv.spec.nodes.map((n) => n.name).filter((n) => !registered.has(n));
    return {
      ok: false,
      detail: [
        ...(lastError ? [`metrics API error: ${clip(lastError, 200)}`] : []),
        ...(missing.length ? [`no usage for ${missing.join(', ')}`] : []),
        ...(unregistered.length ? [`not registered: ${unregistered.join(', ')}`] : []),
      ].join('; '),
      diagnosis:
        state.logCause ??
        (state.pods.length
          ? `metrics-server is not Ready (${state.pods.join('; ')})`
          : `metrics-server has no usage for ${missing.join(', ') || 'some nodes'} after ${Math.round(ctx.settings.metricsWaitMs / 1000)} s: see its logs (kubectl -n kube-system logs deploy/metrics-server)`),
    };
  },
};
