/**
 * api-unreachable: the API server does not answer; the cause as the control-plane node sees it (its kubelet, the
 * kube-apiserver static pod's container).
 */
import { criContainers } from '../facts/crictl-containers.js';
import { unitState } from '../facts/systemd.js';
import { APISERVER_MANIFEST } from '../facts/kubeadm-files.js';
import { ADMIN_CONF, initNode } from '../inventory/topology.js';
import type { DoctorSource, Finding } from './types.js';

const APISERVER = criContainers('kube-apiserver');
const KUBELET = unitState('kubelet');

export const apiSource: DoctorSource = {
  name: 'api',
  facts: (node) => (node.role === 'control-plane' ? [KUBELET] : []),
  // the API server's container is looked at only when the API does not answer
  more: (node, first) => (node.role === 'control-plane' && !first.apiReachable ? [APISERVER] : []),
  diagnose(ctx) {
    if (ctx.api) return [];
    const cp = initNode(ctx.inv);
    const read = ctx.reads.get(cp.name);
    const kubelet = ctx.value(cp, KUBELET);
    const ps = ctx.value(cp, APISERVER);
    const causes: string[] = [];
    let fix = ctx.fix.exec(cp.name, ['sh', '-c', 'crictl logs --tail 20 $(crictl ps -a -q --name kube-apiserver | head -n 1)']);
    if (read?.error) causes.push(`${cp.name} itself is unreachable (${read.error})`);
    else if (!read) causes.push(`${cp.name} was not read (not in --nodes)`);
    if (kubelet && kubelet.active !== 'active') {
      causes.push(`kubelet on ${cp.name} is ${kubelet.active || 'not running'}, so the static pods (kube-apiserver, etcd) are not started: see kubelet-not-running`);
      fix = ctx.fix.exec(cp.name, ['journalctl', '-u', 'kubelet', '-n', '20', '--no-pager']);
    }
    if (ps && 'containers' in ps) {
      const last = ps.containers[0];
      if (!last) causes.push(`no kube-apiserver container on ${cp.name} (the static pod ${APISERVER_MANIFEST} is not running: not initialised, or kubelet cannot start it)`);
      else if (last.state !== 'CONTAINER_RUNNING') causes.push(`the kube-apiserver container on ${cp.name} is ${last.state.replace(/^CONTAINER_/, '').toLowerCase()} (attempt ${last.attempt}): it keeps failing; its log says why`);
      else causes.push(`kube-apiserver runs on ${cp.name} (attempt ${last.attempt}) but does not answer here: it may be starting, waiting for etcd, or unreachable from the workstation`);
    } else if (ps && 'error' in ps) {
      causes.push(`crictl could not list the containers on ${cp.name}: ${ps.error}`);
    }
    const finding: Finding = {
      code: 'api-unreachable',
      node: cp.name,
      symptom: `the API server does not answer: ${ctx.apiError ?? 'unknown error'}`,
      cause: causes.join('; ') || `no cause found on ${cp.name}; ${ADMIN_CONF} may be missing (the control plane is not initialised)`,
      fix,
    };
    return [finding];
  },
};
