/**
 * Check `services`: a netexec server behind a ClusterIP Service and a NodePort Service; a client pod on each node
 * fetches the ClusterIP and the NodePort on every node's inventory address (from inside the cluster: the
 * workstation may not reach the host-only network).
 */
import type { KService } from '../k8s/api.js';
import { flannelDiagnosis } from './flannel.js';
import { podIsReady, podProblem } from './pod-diagnosis.js';
import {
  CHECK_LABEL,
  describeStuck,
  NETEXEC_PORT,
  objectName,
  parseProbeReport,
  probePod,
  serverPod,
  startAndWait,
  terminationMessage,
  testableNodes,
} from './smoke-pods.js';
import type { Check } from './types.js';

const APP_LABEL = 'app.kubernetes.io/name';
const APP = 'kubelab-smoke-web';
export const SERVICE_PORT = 80;

function service(name: string, type: 'ClusterIP' | 'NodePort'): KService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: { [CHECK_LABEL]: 'services' } },
    spec: { type, selector: { [APP_LABEL]: APP }, ports: [{ name: 'http', port: SERVICE_PORT, targetPort: NETEXEC_PORT, protocol: 'TCP' }] },
  };
}

export const servicesCheck: Check = {
  name: 'services',
  title: 'a ClusterIP and a NodePort Service answer',
  usesNamespace: true,
  async run(ctx) {
    const { nodes, untested } = await testableNodes(ctx);
    if (!nodes.length) return { ok: false, detail: `no node to test: ${untested.join(', ')}`, diagnosis: 'no node is Ready (see the nodes check)' };
    const clusterIpSvc = await ctx.api.createService(ctx.namespace, service('web', 'ClusterIP'));
    const nodePortSvc = await ctx.api.createService(ctx.namespace, service('web-nodeport', 'NodePort'));
    const clusterIp = clusterIpSvc.spec.clusterIP;
    const nodePort = nodePortSvc.spec.ports[0]?.nodePort;
    if (!clusterIp || !nodePort) {
      return { ok: false, detail: `the API server did not assign ${clusterIp ? 'a nodePort' : 'a ClusterIP'}`, diagnosis: 'the Service was created without addresses: check kube-apiserver --service-cluster-ip-range / --service-node-port-range' };
    }

    const servers = await startAndWait(ctx, [serverPod('services', ctx.inv.spec.checks.image, 'web', undefined, { [APP_LABEL]: APP })], 'ready');
    const server = servers.get('web')!;
    if (!server.done) {
      const s = await describeStuck(ctx, servers);
      return { ok: false, detail: `the server pod did not start: ${s.summaries.join('; ')}`, diagnosis: s.causes.join('; ') || 'the server pod did not start' };
    }
    const serverNode = server.pod?.spec?.nodeName ?? '?';
    const targets = [
      { name: 'clusterip', url: `http://${clusterIp}:${SERVICE_PORT}/hostname` },
      ...ctx.inv.spec.nodes.map((n) => ({ name: `nodeport@${n.name}`, url: `http://${n.address}:${nodePort}/hostname` })),
    ];
    const clientName = (node: string): string => objectName('svc-client', node);
    const clients = await startAndWait(ctx, nodes.map((n) => probePod('services', ctx.inv.spec.checks.image, clientName(n.name), n.name, targets, ctx.settings.probeRetryMs / 1000)), 'finished');
    const stuck = await describeStuck(ctx, clients);

    const failures = new Map<string, string[]>(); // target -> "from (error)"
    let answered = 0;
    const tested: string[] = [];
    for (const n of nodes) {
      const w = clients.get(clientName(n.name))!;
      if (!w.done) continue;
      tested.push(n.name);
      const report = parseProbeReport(terminationMessage(w.pod));
      for (const t of targets) {
        const r = report.get(t.name);
        if (r?.ok) answered++;
        else failures.set(t.name, [...(failures.get(t.name) ?? []), `${n.name}${r?.error ? ` (${r.error})` : ''}`]);
      }
    }
    if (!failures.size && !stuck.summaries.length && !untested.length) {
      return {
        ok: true,
        detail: `ClusterIP ${clusterIp}:${SERVICE_PORT} and NodePort ${nodePort} on ${ctx.inv.spec.nodes.map((n) => n.address).join(', ')} answered from ${tested.join(', ')} (${answered} requests)`,
      };
    }

    const causes = [...stuck.causes];
    const cip = failures.get('clusterip') ?? [];
    const failingFrom = (list: string[]): string[] => list.map((f) => f.split(' ')[0]!);
    // Traffic to the server crosses nodes from every node but the server's: failures only there point at the pod network.
    const crossNode = cip.length > 0 && tested.includes(serverNode) && failingFrom(cip).every((n) => n !== serverNode);
    if (cip.length) {
      const from = failingFrom(cip);
      if (crossNode) {
        const flannel = await flannelDiagnosis(ctx.inv, ctx.api);
        causes.push(`the ClusterIP fails only from nodes other than the server's (${serverNode}): cross-node pod traffic is broken${flannel ? `: ${flannel}` : ' (see the pod-network check)'}`);
      } else {
        const proxies = await ctx.api.listPods('kube-system', 'k8s-app=kube-proxy').catch(() => []);
        const bad = proxies.filter((p) => !podIsReady(p)).map((p) => podProblem(p, [])?.summary ?? p.metadata.name);
        causes.push(
          bad.length
            ? `kube-proxy is not running everywhere (${bad.join('; ')}): Services are not forwarded there`
            : `the ClusterIP ${clusterIp} does not answer from ${from.join(', ')} although the server pod is Ready on ${serverNode}: kube-proxy rules missing (see kube-proxy logs) or pod traffic broken`,
        );
      }
    }
    const forwarded: string[] = [];
    for (const n of ctx.inv.spec.nodes) {
      const list = failures.get(`nodeport@${n.name}`);
      if (!list?.length) continue;
      if (crossNode && n.name !== serverNode) forwarded.push(`${n.address} (${n.name})`);
      else if (list.length === tested.length) {
        causes.push(`NodePort ${nodePort} does not answer on ${n.address} (${n.name}) from any node: kube-proxy on ${n.name} is not running, or ${n.address} is not reachable on the host-only network`);
      } else {
        causes.push(`NodePort ${nodePort} on ${n.address} (${n.name}) fails from ${failingFrom(list).join(', ')}`);
      }
    }
    if (forwarded.length) {
      causes.push(`NodePort ${nodePort} on ${forwarded.join(', ')} forwards to the server pod on ${serverNode} across nodes: the same cross-node cause`);
    }
    if (untested.length) causes.push('untested nodes are not registered or not Ready (see the nodes check)');
    return {
      ok: false,
      detail: [
        ...[...failures].map(([t, from]) => `${t === 'clusterip' ? `ClusterIP ${clusterIp}:${SERVICE_PORT}` : `NodePort ${t.slice('nodeport@'.length)}:${nodePort}`} failed from ${from.join(', ')}`),
        ...stuck.summaries,
        ...(untested.length ? [`not tested from: ${untested.join(', ')}`] : []),
        `server pod on ${serverNode}`,
      ].join('; '),
      diagnosis: causes.join('; '),
    };
  },
};
