/** Check `dns`: a pod on each node resolves kubernetes.default through the cluster DNS. */
import { formatIPv4, parseCidr } from '../inventory/net.js';
import type { Inventory } from '../inventory/types.js';
import { flannelDiagnosis } from './flannel.js';
import { podIsReady, podProblem } from './pod-diagnosis.js';
import { DNS_SCRIPT, describeStuck, objectName, smokePod, startAndWait, terminationMessage, testableNodes } from './smoke-pods.js';
import type { Check } from './types.js';

export const DNS_NAME = 'kubernetes.default';
export const COREDNS_SELECTOR = 'k8s-app=kube-dns';

/** The kubernetes Service's ClusterIP: the first address of the service subnet. */
export function kubernetesServiceIp(inv: Inventory): string | undefined {
  const c = parseCidr(inv.spec.kubernetes.serviceSubnet);
  return c.ok ? formatIPv4(c.cidr.network + 1) : undefined;
}

export const dnsCheck: Check = {
  name: 'dns',
  title: `a pod on each node resolves ${DNS_NAME}`,
  usesNamespace: true,
  async run(ctx) {
    const { nodes, untested } = await testableNodes(ctx);
    if (!nodes.length) return { ok: false, detail: `no node to test: ${untested.join(', ')}`, diagnosis: 'no node is Ready (see the nodes check)' };
    const podFor = new Map(nodes.map((n) => [n.name, objectName('dns', n.name)]));
    const waits = await startAndWait(
      ctx,
      nodes.map((n) => smokePod('dns', podFor.get(n.name)!, { image: ctx.inv.spec.checks.image, nodeName: n.name, command: ['sh', '-c', DNS_SCRIPT, 'sh', DNS_NAME] })),
      'finished',
    );
    const expected = kubernetesServiceIp(ctx.inv);
    const passed: string[] = [];
    const failed: { node: string; why: string }[] = [];
    for (const n of nodes) {
      const w = waits.get(podFor.get(n.name)!)!;
      if (!w.done) continue;
      const msg = terminationMessage(w.pod);
      const answer = msg.split('\n').find((l) => /^\d+(\.\d+){3}$/.test(l.trim()));
      if (w.pod?.status?.phase === 'Succeeded' && answer && (!expected || answer === expected)) passed.push(`${n.name} -> ${answer}`);
      else if (answer && expected && answer !== expected) failed.push({ node: n.name, why: `answered ${answer}, expected ${expected}` });
      else failed.push({ node: n.name, why: msg.split('\n')[0] || `exit ${w.pod?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode ?? '?'}` });
    }
    const stuck = await describeStuck(ctx, waits);
    const notes = [...(untested.length ? [`not tested: ${untested.join(', ')}`] : [])];
    if (!failed.length && !stuck.summaries.length && !untested.length) {
      return { ok: true, detail: `${DNS_NAME} resolved on ${passed.join(', ')}` };
    }

    const causes: string[] = [...stuck.causes];
    if (failed.length) {
      let coredns: Awaited<ReturnType<typeof ctx.api.listPods>> = [];
      try {
        coredns = await ctx.api.listPods('kube-system', COREDNS_SELECTOR);
      } catch {
        coredns = [];
      }
      const readyOn = new Set(coredns.filter(podIsReady).map((p) => p.spec?.nodeName ?? ''));
      const failing = failed.map((f) => f.node);
      if (!readyOn.size) {
        const why = coredns.map((p) => podProblem(p, [])?.summary).filter(Boolean);
        causes.push(`CoreDNS is not ready${coredns.length ? ` (${why.join('; ')})` : ' (no CoreDNS pod)'}: see the system-pods check`);
      } else if (passed.length && failing.every((n) => !readyOn.has(n))) {
        const flannel = await flannelDiagnosis(ctx.inv, ctx.api);
        causes.push(
          `lookups fail only on nodes without a CoreDNS pod (${failing.join(', ')}; CoreDNS runs on ${[...readyOn].join(', ')}): cross-node pod traffic is broken${flannel ? `: ${flannel}` : ' (see the pod-network check)'}`,
        );
      } else {
        const flannel = await flannelDiagnosis(ctx.inv, ctx.api);
        causes.push(
          `${passed.length ? `lookups fail on ${failing.join(', ')}` : 'no node can resolve'} although CoreDNS is Ready on ${[...readyOn].join(', ')}: ${flannel ?? 'the kube-dns Service does not reach it (kube-proxy) or cross-node pod traffic is broken (see the services and pod-network checks)'}`,
        );
      }
    }
    if (untested.length) causes.push('untested nodes are not registered or not Ready (see the nodes check)');
    return {
      ok: false,
      detail: [
        ...failed.map((f) => `${f.node}: ${f.why}`),
        ...stuck.summaries,
        ...(passed.length ? [`resolved on ${passed.join(', ')}`] : []),
        ...notes,
      ].join('; '),
      diagnosis: causes.join('; ') || 'lookups failed',
    };
  },
};
