import type { Fact } from '../engine/types.js';
import { ADMIN_CONF } from '../inventory/topology.js';

export const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';
export const BOOTSTRAP_KUBELET_CONF = '/etc/kubernetes/bootstrap-kubelet.conf';
export const APISERVER_MANIFEST = '/etc/kubernetes/manifests/kube-apiserver.yaml';
export const ETCD_MANIFEST = '/etc/kubernetes/manifests/etcd.yaml';
export const CLUSTER_CA = '/etc/kubernetes/pki/ca.crt';
export const ETCD_MEMBER = '/var/lib/etcd/member';

/** What kubeadm init/join leave on a node, in the order they are reported. */
export const KUBEADM_PATHS = [ADMIN_CONF, KUBELET_CONF, BOOTSTRAP_KUBELET_CONF, APISERVER_MANIFEST, CLUSTER_CA, ETCD_MEMBER] as const;

/**
 * Which of kubeadm's files exist on the node (existence only: admin.conf holds a client key and is never read).
 */
export const kubeadmFiles: Fact<Set<string>> = {
  key: 'kubeadm-files',
  argv: ['sh', '-c', 'for p do if [ -e "$p" ]; then printf \'%s\\n\' "$p"; fi; done', 'sh', ...KUBEADM_PATHS],
  parse: (r) => new Set(r.stdout.split('\n').map((l) => l.trim()).filter(Boolean)),
};

/** The addresses a static pod manifest advertises: "flag -> address" for each flag present. */
export function advertisedAddresses(manifest: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of manifest.matchAll(/--(advertise-address|advertise-client-urls|initial-advertise-peer-urls)=(?:https?:\/\/)?([0-9.]+)/g)) out.set(`--${m[1]}`, m[2]!);
  return out;
}
