/**
 * Check `monitoring`: Prometheus reports its scrape targets up and Grafana answers, both read through the API
 * server's service proxy (no NodePort or port-forward needed from the workstation).
 */
import { addonNamespace } from './addons.js';
import type { ProxyResponse } from '../k8s/api.js';
import { clip, firstLine, podProblem } from './pod-diagnosis.js';
import type { Check, CheckContext, CheckOutcome } from './types.js';

export const PROMETHEUS_SERVICE = 'prometheus-k8s:web';
export const TARGETS_PATH = 'api/v1/targets?state=active';
export const GRAFANA_SERVICE = 'grafana:http';
export const GRAFANA_HEALTH_PATH = 'api/health';
/** Jobs kubeadm clusters only get with kubelab's headless Services and bind-address 0.0.0.0. */
export const REQUIRED_JOBS = ['kube-scheduler', 'kube-controller-manager'];

export interface PromTarget {
  labels?: Record<string, string>;
  scrapePool?: string;
  scrapeUrl?: string;
  lastError?: string;
  health?: string;
}

export function parseTargets(body: string): PromTarget[] | undefined {
  try {
    const doc = JSON.parse(body) as { status?: string; data?: { activeTargets?: PromTarget[] } };
    return doc.status === 'success' && Array.isArray(doc.data?.activeTargets) ? doc.data.activeTargets : undefined;
  } catch {
    return undefined;
  }
}

const jobOf = (t: PromTarget): string => t.labels?.job ?? t.scrapePool ?? '?';

/** The cause of a job's targets being down, from the job and Prometheus' lastError. */
export function downCause(job: string, targets: readonly PromTarget[]): string {
  const err = targets.map((t) => t.lastError ?? '').find(Boolean) ?? '';
  const urls = targets.map((t) => t.scrapeUrl).filter(Boolean);
  if ((job === 'kube-scheduler' || job === 'kube-controller-manager') && /connection refused/.test(err)) {
    return `${job} is down (${clip(err, 160)}): it listens on 127.0.0.1 only; kubeadm needs extraArgs bind-address: 0.0.0.0 for ${job} (ClusterConfiguration ${job === 'kube-scheduler' ? 'scheduler' : 'controllerManager'}.extraArgs)`;
  }
  if (job === 'kube-proxy' && /connection refused/.test(err)) {
    return `kube-proxy metrics are down (${clip(err, 160)}): set metricsBindAddress: 0.0.0.0:10249 in the KubeProxyConfiguration`;
  }
  if (/x509|certificate/.test(err)) return `${job} is down: TLS error scraping it (${clip(err, 160)})`;
  if (/40[13]/.test(err)) return `${job} is down: Prometheus is not authorised to scrape it (${clip(err, 160)})`;
  if (/(i\/o timeout|context deadline exceeded|no route to host)/.test(err)) {
    return `${job} is down: Prometheus cannot reach ${urls.join(', ') || 'it'} (${clip(err, 160)}): cross-node traffic (pod-network) or a firewall`;
  }
  return `${job} is down${err ? ` (${clip(err, 160)})` : ''}`;
}

/** Why the service proxy did not answer 200. */
async function proxyCause(ctx: CheckContext, ns: string, what: string, res: ProxyResponse, podSelector: string): Promise<string> {
  let msg = res.body;
  try {
    msg = (JSON.parse(res.body) as { message?: string }).message ?? res.body;
  } catch {
    // not a Status
  }
  if (res.status === 404 && /not found/.test(msg)) return `${what} is not installed (${firstLine(msg)}): kubelab up --only addons`;
  if (/no endpoints available/.test(msg)) {
    const pods = await ctx.api.listPods(ns, podSelector).catch(() => []);
    const bad = pods.map((p) => podProblem(p, [])).filter((p) => p !== undefined);
    return `${what} has no ready pod${bad.length ? ` (${bad.map((p) => `${p.summary}${p.cause ? `: ${p.cause}` : ''}`).join('; ')})` : pods.length ? '' : ' (no pod)'}`;
  }
  if (/(i\/o timeout|no route to host|connection refused|dial tcp)/.test(msg)) {
    return `the API server cannot reach the ${what} pod (${clip(msg, 160)}): pod traffic from the control plane is broken (see the pod-network check)`;
  }
  return `${what} answered HTTP ${res.status} through the service proxy: ${clip(msg, 200)}`;
}

export const monitoringCheck: Check = {
  name: 'monitoring',
  title: 'Prometheus targets up and Grafana answering',
  addon: 'monitoring',
  usesNamespace: false,
  async run(ctx): Promise<CheckOutcome> {
    const ns = addonNamespace(ctx.inv, 'monitoring');
    if (!(await ctx.api.namespaceExists(ns))) {
      return { ok: false, detail: `namespace ${ns} does not exist`, diagnosis: 'kube-prometheus is not installed: kubelab up --only addons' };
    }
    const deadline = ctx.now() + ctx.settings.targetsWaitMs;
    let targets: PromTarget[] = [];
    for (;;) {
      const res = await ctx.api.proxyGet(ns, PROMETHEUS_SERVICE, TARGETS_PATH);
      if (res.status !== 200) {
        return {
          ok: false,
          detail: `Prometheus targets: HTTP ${res.status}`,
          diagnosis: await proxyCause(ctx, ns, 'Prometheus', res, 'app.kubernetes.io/name=prometheus'),
        };
      }
      const parsed = parseTargets(res.body);
      if (!parsed) return { ok: false, detail: 'Prometheus answered something that is not a target list', diagnosis: `unexpected answer: ${res.body.slice(0, 160)}` };
      targets = parsed;
      const jobs = new Set(targets.map(jobOf));
      const settled = targets.length > 0 && !targets.some((t) => t.health === 'unknown') && REQUIRED_JOBS.every((j) => jobs.has(j));
      if (settled || ctx.now() >= deadline) break;
      await ctx.sleep(ctx.settings.pollMs);
    }

    const byJob = new Map<string, PromTarget[]>();
    for (const t of targets) byJob.set(jobOf(t), [...(byJob.get(jobOf(t)) ?? []), t]);
    const down = [...byJob].filter(([, ts]) => ts.some((t) => t.health === 'down'));
    const unknown = [...byJob].filter(([, ts]) => ts.some((t) => t.health === 'unknown')).map(([j]) => j);
    const missing = REQUIRED_JOBS.filter((j) => !byJob.has(j));
    const upCount = targets.filter((t) => t.health === 'up').length;

    const grafana = await ctx.api.proxyGet(ns, GRAFANA_SERVICE, GRAFANA_HEALTH_PATH);
    let grafanaText: string;
    let grafanaCause: string | undefined;
    if (grafana.status === 200) {
      let health: { database?: string; version?: string } = {};
      try {
        health = JSON.parse(grafana.body) as typeof health;
      } catch {
        health = {};
      }
      grafanaText = `Grafana${health.version ? ` ${health.version}` : ''} healthy (database ${health.database ?? '?'})`;
      if (health.database !== undefined && health.database !== 'ok') grafanaCause = `Grafana's database is ${health.database}`;
    } else {
      grafanaText = `Grafana: HTTP ${grafana.status}`;
      grafanaCause = await proxyCause(ctx, ns, 'Grafana', grafana, 'app.kubernetes.io/name=grafana');
    }

    if (!down.length && !unknown.length && !missing.length && !grafanaCause) {
      return { ok: true, detail: `${upCount} targets up in ${byJob.size} jobs; ${grafanaText}` };
    }
    const causes = [
      ...down.map(([job, ts]) => downCause(job, ts.filter((t) => t.health === 'down'))),
      ...missing.map(
        (j) => `Prometheus has no ${j} target: the headless Service ${j} in kube-system (label app.kubernetes.io/name: ${j}) that its ServiceMonitor selects is missing on kubeadm`,
      ),
      ...(unknown.length ? [`targets of ${unknown.join(', ')} not scraped yet after ${Math.round(ctx.settings.targetsWaitMs / 1000)} s`] : []),
      ...(grafanaCause ? [grafanaCause] : []),
    ];
    return {
      ok: false,
      detail: [
        `${upCount}/${targets.length} targets up`,
        ...down.map(([job, ts]) => `${job} down: ${ts.filter((t) => t.health === 'down').map((t) => t.labels?.instance ?? t.scrapeUrl ?? '?').join(', ')}`),
        ...(missing.length ? [`no targets for ${missing.join(', ')}`] : []),
        grafanaText,
      ].join('; '),
      diagnosis: causes.join('; '),
    };
  },
};
