/**
 * Which kubelet-serving CSRs kubelab approves (metrics-server tls: bootstrap). Kubernetes leaves these to the
 * cluster admin because the API server cannot tell whether the requested names belong to the node; kubelab can,
 * from the inventory, and approves only a request that is, in every part, what the inventory node's kubelet asks for:
 *  - signer kubernetes.io/kubelet-serving, still pending (not approved, denied or failed);
 *  - requested by system:node:<name> in group system:nodes, <name> a node of the inventory;
 *  - usages within {digital signature, key encipherment, server auth}, server auth among them;
 *  - subject CN system:node:<name> (the requester) and O system:nodes, nothing else;
 *  - subjectAltName: IPs within {the node's inventory address}, DNS names within {the node's name}, at least one
 *    of them, and no other kind (email, URI, ...).
 * Pure: recorded CSR objects in, one decision per pending kubelet-serving CSR out (other CSRs are not kubelab's).
 */
import type { InventoryNode } from '../inventory/types.js';
import type { CsrRecord } from './csr.js';
import { parseCertificateRequest } from './pkcs10.js';

export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
const NODE_USER = /^system:node:(.+)$/;
const ALLOWED_USAGES = new Set(['digital signature', 'key encipherment', 'server auth']);

export interface CsrDecision {
  /** The CSR's name. */
  name: string;
  /** The inventory node it is for, when the requester is one. */
  node?: string;
  approve: boolean;
  /** Why not (or "matches <node>"). */
  reason: string;
}

/** Approved, denied or failed: no longer waiting for anyone. */
export function csrSettled(csr: CsrRecord): boolean {
  return (csr.status?.conditions ?? []).some((c) => ['Approved', 'Denied', 'Failed'].includes(c.type) && c.status !== 'False');
}

const list = (xs: readonly string[]): string => xs.join(', ');

function judge(csr: CsrRecord, nodes: ReadonlyMap<string, InventoryNode>): CsrDecision {
  const name = csr.metadata.name;
  const refuse = (reason: string, node?: string): CsrDecision => ({ name, ...(node ? { node } : {}), approve: false, reason });
  const user = csr.spec.username ?? '';
  const nodeName = NODE_USER.exec(user)?.[1];
  if (!nodeName) return refuse(`requested by ${user || 'nobody'}, not a node`);
  const node = nodes.get(nodeName);
  if (!node) return refuse(`requested by ${user}, which is not a node of the inventory`);
  if (!(csr.spec.groups ?? []).includes('system:nodes')) return refuse(`requester ${user} is not in group system:nodes`, nodeName);

  const usages = csr.spec.usages ?? [];
  const extra = usages.filter((u) => !ALLOWED_USAGES.has(u));
  if (extra.length) return refuse(`asks for usages ${list(extra)} beyond serving`, nodeName);
  if (!usages.includes('server auth')) return refuse('does not ask for server auth', nodeName);

  let info;
  try {
    info = parseCertificateRequest(Buffer.from(csr.spec.request, 'base64'));
  } catch (err) {
    return refuse(`the request does not parse: ${(err as Error).message}`, nodeName);
  }
  if (info.commonNames.length !== 1 || info.commonNames[0] !== user) {
    return refuse(`subject CN ${list(info.commonNames) || '(none)'} is not the requester ${user}`, nodeName);
  }
  if (info.organizations.length !== 1 || info.organizations[0] !== 'system:nodes') {
    return refuse(`subject O ${list(info.organizations) || '(none)'} is not system:nodes`, nodeName);
  }
  const { san } = info;
  if (san.email.length || san.uri.length || san.other.length) return refuse('has subjectAltNames other than DNS names and IP addresses', nodeName);
  const foreignIps = san.ip.filter((ip) => ip !== node.address);
  if (foreignIps.length) return refuse(`IP ${list(foreignIps)} is not ${nodeName}'s inventory address ${node.address}`, nodeName);
  const foreignDns = san.dns.filter((d) => d !== node.name);
  if (foreignDns.length) return refuse(`DNS name ${list(foreignDns)} is not the node name ${node.name}`, nodeName);
  if (!san.ip.length && !san.dns.length) return refuse('names no IP address or DNS name', nodeName);
  return { name, node: nodeName, approve: true, reason: `matches ${nodeName} (${list([...san.ip, ...san.dns])})` };
}

/** A decision for every pending kubelet-serving CSR, in the given order. */
export function kubeletServingCsrDecisions(nodes: readonly InventoryNode[], csrs: readonly CsrRecord[]): CsrDecision[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  return csrs.filter((c) => c.spec.signerName === KUBELET_SERVING_SIGNER && !csrSettled(c)).map((c) => judge(c, byName));
}
