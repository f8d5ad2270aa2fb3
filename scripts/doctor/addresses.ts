/**
 * node-not-registered, node-ip-wrong (the API's Nodes) and address-changed (the node itself): the inventory
 * address on no interface, missing from the API server certificate's SANs, not etcd's / kube-apiserver's advertise
 * address in their static pod manifests, or /etc/hosts' managed block out of date.
 */
import { fileContent } from '../facts/file.js';
import { advertisedAddresses, APISERVER_MANIFEST, ETCD_MANIFEST } from '../facts/kubeadm-files.js';
import { nodeCertificates, sanAddresses } from '../facts/certificates.js';
import { ipv4Interfaces } from '../facts/interfaces.js';
import type { InventoryNode } from '../inventory/types.js';
import { kubeletServingBootstrap } from '../inventory/topology.js';
import { summarizeNode } from '../k8s/nodes.js';
import { KUBEADM_FLAGS_ENV } from '../render/kubelet-flags.js';
import { hostEntries, renderHosts } from '../steps/etc-hosts.js';
import { nodeAddressProblems } from '../steps/node-addresses.js';
import { FLANNEL_ROLLOUT_RESTART } from './flannel.js';
import { kubectlOnControlPlane } from './kubectl.js';
import type { DoctorContext, DoctorSource, Finding, Repair } from './types.js';

export const APISERVER_CERT = '/etc/kubernetes/pki/apiserver.crt';
const HOSTS = fileContent('/etc/hosts');
/** The static pod manifests whose advertise addresses are compared, with the facts that read them. */
const MANIFESTS = [ETCD_MANIFEST, APISERVER_MANIFEST].map((file) => ({ file, fact: fileContent(file) }));

const setBack = (node: InventoryNode): string => `set ${node.name}'s host-only address back to ${node.address} (static, in netplan or /etc/network/interfaces)`;

/**
 * The control plane re-addressed for the inventory address its node now holds: /etc/hosts everywhere, the
 * control-plane phase (certificates, static pods, kubeconfigs, the kubelet's --node-ip), flannel restarted so that
 * it announces the new address and kube-proxy so that it resolves the new one, then the addons (the NFS provisioner's server address, new kubelet-serving CSRs).
 */
const readdressControlPlane = (ctx: DoctorContext): Repair => ({
  phases: ['os', 'control-plane'],
  commands: [kubectlOnControlPlane(ctx.inv, FLANNEL_ROLLOUT_RESTART), kubectlOnControlPlane(ctx.inv, KUBE_PROXY_ROLLOUT_RESTART)],
  thenPhases: ['addons'],
});
/**
 * kube-proxy runs with the node's network and reaches the API server by controlPlaneEndpoint's name: its pods keep
 * the /etc/hosts their node had when they started (the old address); new pods read the one the os phase wrote.
 */
const KUBE_PROXY_ROLLOUT_RESTART = ['-n', 'kube-system', 'rollout', 'restart', 'daemonset/kube-proxy'];

function nodeSide(ctx: DoctorContext, node: InventoryNode): Finding[] {
  const out: Finding[] = [];
  const addrs = ctx.value(node, ipv4Interfaces);
  if (addrs && !addrs.some((a) => a.address === node.address)) {
    const others = addrs.filter((a) => a.name !== 'lo' && !a.address.startsWith('127.')).map((a) => `${a.name} ${a.address}/${a.prefix}`);
    out.push({
      code: 'address-changed',
      node: node.name,
      symptom: `no interface holds the inventory address ${node.address} (the node has: ${others.join(', ') || 'no address'})`,
      cause: 'the host-only address changed (a DHCP lease, or VirtualBox re-numbered the host-only network); kubelet, etcd and the API server still use the old one',
      fix: `${setBack(node)}; or, if the new address is to stay, change spec.nodes[].address in the inventory and run kubelab heal`,
    });
  }
  if (node.role === 'control-plane') {
    // heal re-addresses the control plane only for an address the node holds (the inventory follows the change)
    const moved = (): Pick<Finding, 'fix' | 'repair'> => (addrs?.some((a) => a.address === node.address) ? ctx.fix.repaired(readdressControlPlane(ctx)) : { fix: setBack(node) });
    const cert = ctx.value(node, nodeCertificates)?.certificates.find((c) => c.source === APISERVER_CERT);
    if (cert && !sanAddresses(cert.subjectAltName).includes(node.address)) {
      out.push({
        code: 'address-changed',
        node: node.name,
        symptom: `${APISERVER_CERT} is not valid for ${node.address} (its IP SANs: ${sanAddresses(cert.subjectAltName).join(', ') || 'none'})`,
        cause: 'the certificate was issued for another address: the node address changed since kubeadm init (clients reaching the new address fail TLS verification)',
        ...moved(),
      });
    }
    for (const { file, fact } of MANIFESTS) {
      const text = ctx.value(node, fact);
      if (!text) continue;
      const wrong = [...advertisedAddresses(text)].filter(([, a]) => a !== node.address);
      if (!wrong.length) continue;
      out.push({
        code: 'address-changed',
        node: node.name,
        symptom: `${file} advertises ${wrong.map(([f, a]) => `${f} ${a}`).join(', ')}, not ${node.address}`,
        cause: 'the static pod was written by kubeadm for another address: the node address changed since kubeadm init',
        ...moved(),
      });
    }
  }
  const hosts = ctx.value(node, HOSTS);
  if (hosts !== undefined && hosts !== null && renderHosts(hosts, hostEntries(ctx.inv)) !== hosts) {
    out.push({
      code: 'address-changed',
      node: node.name,
      symptom: "/etc/hosts' kubelab block does not map every node name to its inventory address",
      cause: 'the block was edited, or the inventory addresses changed since the last `kubelab up` (node names then resolve to old addresses)',
      ...ctx.fix.repaired({ phases: ['os'] }),
    });
  }
  return out;
}

export const addressesSource: DoctorSource = {
  name: 'addresses',
  facts: (node) => [ipv4Interfaces, HOSTS, ...(node.role === 'control-plane' ? [nodeCertificates, ...MANIFESTS.map((m) => m.fact)] : [])],
  async diagnose(ctx) {
    const out = ctx.nodes.flatMap((n) => nodeSide(ctx, n));
    if (!ctx.api) return out;
    const names = new Set(ctx.nodes.map((n) => n.name));
    const problems = nodeAddressProblems(ctx.inv, (await ctx.api.listNodes()).map(summarizeNode)).filter((p) => names.has(p.node));
    for (const p of problems) {
      const node = ctx.inv.spec.nodes.find((n) => n.name === p.node)!;
      out.push(
        p.registered
          ? {
              code: 'node-ip-wrong',
              node: p.node,
              symptom: p.message,
              cause: `its kubelet runs with another --node-ip (${KUBEADM_FLAGS_ENV}, written by kubeadm at init or join)`,
              // the kubelet-node-ip step sets the flag and restarts the kubelet; a new serving certificate is then
              // requested for the new address, which the addons phase approves
              ...ctx.fix.repaired({ phases: [node.role === 'control-plane' ? 'control-plane' : 'join'], ...(kubeletServingBootstrap(ctx.inv) ? { thenPhases: ['addons'] } : {}) }),
            }
          : { code: 'node-not-registered', node: p.node, symptom: p.message, cause: 'the node has not joined the cluster, or its Node object was deleted', fix: ctx.fix.up('join') },
      );
    }
    return out;
  },
};
