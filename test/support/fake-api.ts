import type { ClusterApi } from '../../scripts/k8s/cluster-api.js';
import type { CsrRecord } from '../../scripts/k8s/csr.js';
import type { NodeSummary } from '../../scripts/k8s/nodes.js';
import type { K8sObject } from '../../scripts/manifests/yaml.js';

/**
 * A fake API server state for step tests: objects by kind/namespace/name, nodes, CSRs, and a log of what was
 * applied, waited for and approved (in call order in `calls`).
 */
export class FakeApi implements ClusterApi {
  via = 'fake';
  live = new Map<string, K8sObject>();
  applied: K8sObject[][] = [];
  waited: string[] = [];
  nodes: NodeSummary[] = [];
  csrs: CsrRecord[] = [];
  approved: string[] = [];
  /** Every apply / wait / approval in order, e.g. "apply 11", "crds 10", "deploy kube-system/coredns". */
  calls: string[] = [];
  key(o: K8sObject): string {
    const m = o.metadata as { name: string; namespace?: string };
    return `${o.kind}/${m.namespace ?? ''}/${m.name}`;
  }
  async read(o: K8sObject) {
    return structuredClone(this.live.get(this.key(o)) ?? null);
  }
  async apply(objs: readonly K8sObject[]) {
    this.applied.push([...objs]);
    this.calls.push(`apply ${objs.length}`);
    for (const o of objs) this.live.set(this.key(o), structuredClone(o));
    return objs.map((o) => ({ name: (o.metadata as { name: string }).name, kind: o.kind as string, outcome: 'created' }));
  }
  async waitDaemonSetReady(ns: string, name: string) {
    this.waited.push(`ds ${ns}/${name}`);
    this.calls.push(`ds ${ns}/${name}`);
  }
  async waitDeploymentAvailable(ns: string, name: string) {
    this.waited.push(`deploy ${ns}/${name}`);
    this.calls.push(`deploy ${ns}/${name}`);
  }
  async listNodes() {
    return this.nodes;
  }
  async waitCrdsEstablished(names: readonly string[]) {
    this.waited.push(`crds ${names.join(',')}`);
    this.calls.push(`crds ${names.length}`);
  }
  async waitApiServiceAvailable(name: string) {
    this.waited.push(`apiservice ${name}`);
    this.calls.push(`apiservice ${name}`);
  }
  async listCsrs() {
    return structuredClone(this.csrs);
  }
  async approveCsr(name: string) {
    this.approved.push(name);
    this.calls.push(`approve ${name}`);
    const csr = this.csrs.find((c) => c.metadata.name === name);
    if (csr) csr.status = { ...csr.status, conditions: [...(csr.status?.conditions ?? []), { type: 'Approved', status: 'True' }] };
  }
  async close() {}
}
