import { parse } from 'yaml';
import { StepError } from '../engine/errors.js';
import type { Change, HostContext, Step } from '../engine/types.js';
import { clusterExists } from '../host/cluster-objects.js';
import { csrSettled, KUBELET_SERVING_SIGNER, kubeletServingCsrDecisions, type CsrDecision } from '../k8s/kubelet-serving-csr.js';
import { clusterApi, type ClusterApi } from '../k8s/cluster-api.js';
import type { CsrRecord } from '../k8s/csr.js';
import { kubeletServingBootstrap } from '../inventory/topology.js';

/** kubeadm's cluster-wide kubelet configuration (handed to every node that joins). */
export const KUBELET_CONFIG_MAP = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kubelet-config', namespace: 'kube-system' } };

/**
 * tls: bootstrap only works for a cluster whose kubelets run with serverTLSBootstrap: kubeadm init reads it from
 * kubelab's init configuration once; an inventory changed afterwards does not reach the nodes.
 */
async function requireServerTlsBootstrap(api: ClusterApi): Promise<void> {
  const cm = await api.read(KUBELET_CONFIG_MAP);
  const text = (cm?.data as Record<string, unknown> | undefined)?.kubelet;
  if (typeof text !== 'string') return; // not a kubeadm cluster layout kubelab knows: nothing to check against
  const config = parse(text) as { serverTLSBootstrap?: unknown } | null;
  if (config?.serverTLSBootstrap === true) return;
  throw new StepError(
    'spec.addons.metricsServer.tls is bootstrap, but the cluster\'s kubelet configuration (ConfigMap kube-system/kubelet-config) ' +
      'has no serverTLSBootstrap: true: the cluster was initialised without it, so no kubelet asks for a serving certificate',
    'use spec.addons.metricsServer.tls: insecure; or add serverTLSBootstrap: true to that ConfigMap and to /var/lib/kubelet/config.yaml on every node and restart the kubelets',
  );
}

const nodesOf = (ds: readonly CsrDecision[]): string => [...new Set(ds.map((d) => d.node))].join(', ');

async function approveMatching(h: HostContext): Promise<void> {
  const api = await clusterApi(h.cluster);
  for (const d of kubeletServingCsrDecisions(h.inv.spec.nodes, await api.listCsrs())) {
    if (d.approve) await api.approveCsr(d.name, `kubelab: serving certificate of inventory node ${d.reason}`);
  }
}

const approveChange = (description: string): Change => ({ description, apply: approveMatching });

/**
 * Nodes whose kubelet asked only for certificates kubelab refuses (nothing approved or issued for them in the
 * list): the serving certificate will not come, say why.
 */
export function refusedNodes(decisions: readonly CsrDecision[], csrs: readonly CsrRecord[]): CsrDecision[] {
  const served = new Set(
    csrs
      .filter((c) => c.spec.signerName === KUBELET_SERVING_SIGNER && csrSettled(c) && c.status?.conditions?.some((x) => x.type === 'Approved'))
      .map((c) => /^system:node:(.+)$/.exec(c.spec.username ?? '')?.[1]),
  );
  const approvable = new Set(decisions.filter((d) => d.approve).map((d) => d.node));
  return decisions.filter((d) => !d.approve && d.node !== undefined && !served.has(d.node) && !approvable.has(d.node));
}

/**
 * metrics-server tls: bootstrap: the kubelets' serving certificates from the cluster CA. Approves exactly the
 * pending kubernetes.io/kubelet-serving CSRs that match an inventory node (see kubeletServingCsrDecisions); others
 * are left alone, and a node left with only refused requests fails the step with the reason.
 */
export const kubeletServingCertsStep: Step = {
  name: 'kubelet-serving-certs',
  appliesTo: (_node, inv) => kubeletServingBootstrap(inv),
  async plan(host) {
    if (!(await clusterExists(host))) return [approveChange('approve the kubelet-serving CSRs of the inventory nodes')];
    const api = await clusterApi(host.cluster);
    await requireServerTlsBootstrap(api);
    const ok = kubeletServingCsrDecisions(host.inv.spec.nodes, await api.listCsrs()).filter((d) => d.approve);
    return ok.length ? [approveChange(`approve ${ok.length} kubelet-serving CSR${ok.length > 1 ? 's' : ''} (${nodesOf(ok)})`)] : [];
  },
  async verify(host) {
    const csrs = await (await clusterApi(host.cluster)).listCsrs();
    const refused = refusedNodes(kubeletServingCsrDecisions(host.inv.spec.nodes, csrs), csrs);
    if (!refused.length) return;
    throw new StepError(
      `kubelet-serving CSRs not approved: ${refused.map((d) => `${d.name} of ${d.node}: ${d.reason}`).join('; ')}`,
      'kubelab approves only requests naming the node\'s inventory address and name; check the kubelet\'s --node-ip ' +
        '(kubectl get csr NAME -o yaml shows the request), deny the request (kubectl certificate deny NAME) and restart that kubelet',
    );
  },
};
