/**
 * node-not-registered, node-ip-wrong (the API's Nodes) and address-changed (the node itself): the inventory
 * address on no interface, missing from the API server certificate's SANs, not etcd's / kube-apiserver's advertise
 * address in their static pod manifests, or /etc/hosts' managed block out of date.
 */
import { fileContent } from '../facts/file.js';
import { APISERVER_MANIFEST } from '../facts/kubeadm-files.js';
import { nodeCertificates, sanAddresses } from '../facts/certificates.js';
import { ipv4Interfaces } from '../facts/interfaces.js';
import type { InventoryNode } from '../inventory/types.js';
import { summarizeNode } from '../k8s/nodes.js';
import { hostEntries, renderHosts } from '../steps/etc-hosts.js';
import { nodeAddressProblems } from '../steps/node-addresses.js';
import type { DoctorContext, DoctorSource, Finding } from './types.js';

export const APISERVER_CERT = '/etc/kubernetes/pki/apiserver.crt';
export const ETCD_MANIFEST = '/etc/kubernetes/manifests/etcd.yaml';
const HOSTS = fileContent('/etc/hosts');
/** The static pod manifests whose advertise addresses are compared, with the facts that read them. */
const MANIFESTS = [ETCD_MANIFEST, APISERVER_MANIFEST].map((file) => ({ file, fact: fileContent(file) }));

/** The addresses a static pod manifest advertises: "flag -> address" for each flag present. */
export function advertisedAddresses(manifest: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of manifest.matchAll(/--(advertise-address|advertise-client-urls|initial-advertise-peer-urls)=(?:https?:\/\/)?([0-9.]+)/g)) out.set(`--${m[1]}`, m[2]!);
  return out;
}

const manualReaddress = (node: InventoryNode): string =>
  `kubeadm does not follow an address change: set ${node.name}'s host-only address back to ${node.address} (static, in netplan or /etc/network/interfaces), or re-address the control plane by hand (kubeadm init phase certs apiserver, the static pod manifests, kubeconfigs)`;

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
      fix: `set the address back: ${manualReaddress(node)}; or, if the new address is to stay, change spec.nodes[].address in the inventory`,
    });
  }
  if (node.role === 'control-plane') {
    const cert = ctx.value(node, nodeCertificates)?.certificates.find((c) => c.source === APISERVER_CERT);
    if (cert && !sanAddresses(cert.subjectAltName).includes(node.address)) {
      out.push({
        code: 'address-changed',
        node: node.name,
        symptom: `${APISERVER_CERT} is not valid for ${node.address} (its IP SANs: ${sanAddresses(cert.subjectAltName).join(', ') || 'none'})`,
        cause: 'the certificate was issued for another address: the node address changed since kubeadm init (clients reaching the new address fail TLS verification)',
        fix: manualReaddress(node),
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
        fix: manualReaddress(node),
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
      fix: ctx.fix.up('os'),
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
              cause: p.hint ?? 'its kubelet runs with the wrong --node-ip',
              fix: `reset and rejoin ${p.node}: ${ctx.fix.exec(p.node, ['kubeadm', 'reset', '-f'])}, then ${ctx.fix.up(node.role === 'control-plane' ? 'control-plane,join,network' : 'join')}`,
            }
          : { code: 'node-not-registered', node: p.node, symptom: p.message, cause: 'the node has not joined the cluster, or its Node object was deleted', fix: ctx.fix.up('join') },
      );
    }
    return out;
  },
};
