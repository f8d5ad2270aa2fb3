/**
 * cert-expired, cert-expiring (within 30 days): kubeadm's certificates (API server, etcd, front-proxy, the CAs),
 * the client certificates embedded in its kubeconfigs, kubelet's client and serving certificates. One finding per
 * node and kind of fix, listing the certificates.
 */
import { nodeCertificates, type NodeCertificate } from '../facts/certificates.js';
import type { InventoryNode } from '../inventory/types.js';
import type { DoctorContext, DoctorSource, Finding, FindingCode, Repair } from './types.js';

export const EXPIRING_DAYS = 30;
const DAY_MS = 86_400_000;

/** How a certificate is renewed: by kubeadm, by a kubelet restart (its self-signed serving one), or by a rejoin. */
export function renewalOf(source: string): 'kubeadm' | 'kubelet-serving' | 'kubelet-client' {
  if (source === '/etc/kubernetes/kubelet.conf client certificate' || source.startsWith('/var/lib/kubelet/pki/kubelet-client')) return 'kubelet-client';
  if (source.startsWith('/var/lib/kubelet/pki/')) return 'kubelet-serving';
  return 'kubeadm';
}

const RENEW = ['kubeadm', 'certs', 'renew', 'all'];
// the static pods read their certificates at start: kubelet starts their containers again once removed
const RESTART_STATIC_PODS = ['sh', '-c', 'crictl rm -f $(crictl ps -q --name "kube-apiserver|kube-controller-manager|kube-scheduler|etcd")'];
const NEW_SERVING_CERT = ['sh', '-c', 'rm -f /var/lib/kubelet/pki/kubelet.crt /var/lib/kubelet/pki/kubelet.key && systemctl restart kubelet'];

function fixFor(ctx: DoctorContext, node: InventoryNode, kind: ReturnType<typeof renewalOf>, expired: boolean): string {
  switch (kind) {
    case 'kubeadm':
      return `${ctx.fix.exec(node.name, RENEW)}; then restart the control-plane static pods: ${ctx.fix.exec(node.name, RESTART_STATIC_PODS)}`;
    case 'kubelet-serving':
      return ctx.fix.exec(node.name, NEW_SERVING_CERT);
    case 'kubelet-client':
      // kubelet renews its own client certificate while it is valid; an expired one needs a new bootstrap
      return expired
        ? `rejoin ${node.name}: ${ctx.fix.exec(node.name, ['kubeadm', 'reset', '-f'])}, then ${ctx.fix.up(node.role === 'control-plane' ? 'control-plane' : 'join')}`
        : `kubelet renews it itself before it expires (rotateCertificates); check that ${node.name}'s kubelet runs and its clock is right: ${ctx.fix.exec(node.name, ['systemctl', 'restart', 'kubelet'])}`;
  }
}

/**
 * What heal does: kubeadm's certificates renewed on a control-plane node (then the static pods restarted and the
 * admin kubeconfig copied again by the control-plane phase), a new self-signed serving certificate; an expired
 * kubelet client certificate needs a new bootstrap (a rejoin), which heal leaves to the reader.
 */
function repairFor(node: InventoryNode, kind: ReturnType<typeof renewalOf>, expired: boolean): Repair | undefined {
  if (kind === 'kubeadm' && node.role === 'control-plane') return { commands: [RENEW, RESTART_STATIC_PODS].map((argv) => ({ node: node.name, argv })), thenPhases: ['control-plane'] };
  if (kind === 'kubelet-serving') return { commands: [{ node: node.name, argv: NEW_SERVING_CERT }] };
  if (kind === 'kubelet-client' && !expired) return { commands: [{ node: node.name, argv: ['systemctl', 'restart', 'kubelet'] }] };
  return undefined;
}

const describe = (c: NodeCertificate, nowMs: number): string => {
  const days = Math.round((c.notAfter.getTime() - nowMs) / DAY_MS);
  return `${c.source} (${c.notAfter.toISOString()}, ${days < 0 ? `${-days} days ago` : `in ${days} days`})`;
};

export const certificatesSource: DoctorSource = {
  name: 'certificates',
  facts: () => [nodeCertificates],
  diagnose(ctx) {
    const out: Finding[] = [];
    for (const node of ctx.nodes) {
      const read = ctx.value(node, nodeCertificates);
      if (!read) continue;
      const groups = new Map<string, { code: FindingCode; kind: ReturnType<typeof renewalOf>; certs: NodeCertificate[] }>();
      for (const c of read.certificates) {
        const left = c.notAfter.getTime() - ctx.nowMs;
        if (left > EXPIRING_DAYS * DAY_MS) continue;
        const code: FindingCode = left <= 0 ? 'cert-expired' : 'cert-expiring';
        const kind = renewalOf(c.source);
        const g = groups.get(`${code} ${kind}`) ?? { code, kind, certs: [] };
        g.certs.push(c);
        groups.set(`${code} ${kind}`, g);
      }
      for (const g of groups.values()) {
        const expired = g.code === 'cert-expired';
        const repair = repairFor(node, g.kind, expired);
        out.push({
          code: g.code,
          node: node.name,
          symptom: `${g.certs.length} certificate${g.certs.length === 1 ? '' : 's'} ${expired ? 'expired' : `expiring within ${EXPIRING_DAYS} days`}: ${g.certs.map((c) => describe(c, ctx.nowMs)).join('; ')}`,
          cause: expired
            ? 'past their notAfter date (kubeadm issues them for one year; the node was off, or its clock is ahead): TLS between the components and kubectl fails'
            : `they expire within ${EXPIRING_DAYS} days`,
          fix: fixFor(ctx, node, g.kind, expired),
          ...(repair ? { repair } : {}),
        });
      }
    }
    return out;
  },
};
