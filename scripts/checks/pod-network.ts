/**
 * Check `pod-network`: a netexec server pod on each node, then a client pod on each node fetching every server's
 * /hostname by pod IP (its own node's too, which separates "pods cannot talk at all" from "only across nodes").
 */
import { flannelDiagnosis } from './flannel.js';
import {
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

export const podNetworkCheck: Check = {
  name: 'pod-network',
  title: 'a pod on each node reaches a pod on every node',
  usesNamespace: true,
  async run(ctx) {
    const { nodes, untested } = await testableNodes(ctx);
    if (!nodes.length) return { ok: false, detail: `no node to test: ${untested.join(', ')}`, diagnosis: 'no node is Ready (see the nodes check)' };
    const serverName = (node: string): string => objectName('net-server', node);
    const clientName = (node: string): string => objectName('net-client', node);

    const servers = await startAndWait(ctx, nodes.map((n) => serverPod('pod-network', ctx.inv.spec.checks.image, serverName(n.name), n.name)), 'ready');
    const up = nodes.filter((n) => servers.get(serverName(n.name))?.done);
    const stuckServers = await describeStuck(ctx, servers);
    if (!up.length) {
      return { ok: false, detail: `no server pod started: ${stuckServers.summaries.join('; ')}`, diagnosis: stuckServers.causes.join('; ') || 'the server pods did not start' };
    }
    const targets = up.map((n) => ({ name: n.name, url: `http://${servers.get(serverName(n.name))!.pod!.status!.podIP}:${NETEXEC_PORT}/hostname` }));
    const clients = await startAndWait(ctx, nodes.map((n) => probePod('pod-network', ctx.inv.spec.checks.image, clientName(n.name), n.name, targets, ctx.settings.probeRetryMs / 1000)), 'finished');
    const stuckClients = await describeStuck(ctx, clients);

    const ok: string[] = [];
    const sameNodeFail: string[] = [];
    const crossFail: string[] = [];
    for (const from of nodes) {
      const w = clients.get(clientName(from.name))!;
      if (!w.done) continue;
      const report = parseProbeReport(terminationMessage(w.pod));
      for (const to of up) {
        const r = report.get(to.name);
        const pair = `${from.name} -> ${to.name}`;
        if (r?.ok) ok.push(pair);
        else (from.name === to.name ? sameNodeFail : crossFail).push(`${pair}${r?.error ? ` (${r.error})` : ' (no result)'}`);
      }
    }
    const stuck = [...stuckServers.summaries, ...stuckClients.summaries];
    if (!sameNodeFail.length && !crossFail.length && !stuck.length && !untested.length) {
      return { ok: true, detail: `${ok.length} pod-to-pod paths answered between ${nodes.map((n) => n.name).join(', ')}` };
    }
    const causes = [...stuckServers.causes, ...stuckClients.causes];
    if (crossFail.length) {
      const flannel = await flannelDiagnosis(ctx.inv, ctx.api);
      causes.push(
        flannel ??
          'pods cannot reach pods on other nodes although flannel uses the inventory addresses: VXLAN (UDP 8472) between the nodes is blocked, or br_netfilter / ip_forward is off',
      );
    }
    if (sameNodeFail.length) causes.push(`pods cannot reach pods on their own node (${sameNodeFail.map((p) => p.split(' ')[0]).join(', ')}): the CNI bridge (cni0) or the flannel pod there is broken`);
    if (untested.length) causes.push('untested nodes are not registered or not Ready (see the nodes check)');
    return {
      ok: false,
      detail: [
        ...(crossFail.length ? [`failed: ${crossFail.join(', ')}`] : []),
        ...(sameNodeFail.length ? [`failed on the same node: ${sameNodeFail.join(', ')}`] : []),
        ...stuck,
        ...(ok.length ? [`answered: ${ok.join(', ')}`] : []),
        ...(untested.length ? [`not tested: ${untested.join(', ')}`] : []),
      ].join('; '),
      diagnosis: causes.join('; '),
    };
  },
};
