/**
 * The certificates kubeadm and kubelet keep on a node, read in one command and parsed here (node:crypto
 * X509Certificate), never with one openssl call per file. Only certificate blocks leave the node: the PEM files'
 * other blocks (kubelet-client-current.pem holds the key too) are dropped by sed there, and of the kubeconfigs
 * only the client-certificate-data line is printed (never client-key-data).
 */
import { X509Certificate } from 'node:crypto';
import type { Fact } from '../engine/types.js';

/** PEM files holding certificates (globs, expanded by the node's shell). */
export const CERT_FILE_GLOBS = [
  '/etc/kubernetes/pki/*.crt',
  '/etc/kubernetes/pki/etcd/*.crt',
  '/var/lib/kubelet/pki/*.crt',
  '/var/lib/kubelet/pki/kubelet-client-current.pem',
  '/var/lib/kubelet/pki/kubelet-server-current.pem',
] as const;

/** kubeconfigs kubeadm writes with an embedded client certificate. */
export const KUBECONFIG_FILES = [
  '/etc/kubernetes/admin.conf',
  '/etc/kubernetes/super-admin.conf',
  '/etc/kubernetes/controller-manager.conf',
  '/etc/kubernetes/scheduler.conf',
  '/etc/kubernetes/kubelet.conf',
] as const;

export interface NodeCertificate {
  /** The file (a kubeconfig: "<file> client certificate"). */
  source: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** subjectAltName as node:crypto prints it ("DNS:master, IP Address:192.168.56.10"), '' when none. */
  subjectAltName: string;
}

export interface CertificateRead {
  certificates: NodeCertificate[];
  /** Sources whose content is not a certificate node:crypto can read, with why. */
  unreadable: { source: string; error: string }[];
}

const FILE_MARK = '@@cert-file ';
const CONF_MARK = '@@kubeconfig ';
const PEM = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

// $1: a folder the paths are under ('' on a node; tests use a scratch folder). Printed paths are without it.
// One awk over every file (a process per file costs a tenth of a second each under emulation); an empty file
// still gets its marker (from the shell's printf builtin) so it is reported as holding no certificate.
const AWK = [
  'FNR == 1 { name = substr(FILENAME, length(r) + 1); conf = (name ~ /\\.conf$/); p = 0',
  `  print (conf ? "${CONF_MARK}" : "${FILE_MARK}") name }`,
  'conf { if (sub(/^[ \t]*client-certificate-data:[ \t]*/, "")) print; next }',
  '/-----BEGIN CERTIFICATE-----/ { p = 1 }',
  'p { print }',
  '/-----END CERTIFICATE-----/ { p = 0 }',
].join('\n');
const SCRIPT = [
  'r="$1"',
  'set --',
  `for f in ${[...CERT_FILE_GLOBS, ...KUBECONFIG_FILES].map((g) => `"$r"${g}`).join(' ')}; do`,
  '  [ -f "$f" ] || continue',
  `  if [ -s "$f" ]; then set -- "$@" "$f"; else printf '${FILE_MARK}%s\\n' "\${f#"$r"}"; fi`,
  'done',
  `[ "$#" -eq 0 ] || exec awk -v r="$r" '${AWK}' "$@"`,
].join('\n');

/** Parses the fact's output: each file's certificate blocks, each kubeconfig's base64 client certificate. */
export function parseCertificates(stdout: string): CertificateRead {
  const out: CertificateRead = { certificates: [], unreadable: [] };
  const add = (source: string, pem: string): void => {
    try {
      const c = new X509Certificate(pem);
      out.certificates.push({ source, subject: c.subject.replace(/\n/g, ', '), notBefore: new Date(c.validFrom), notAfter: new Date(c.validTo), subjectAltName: c.subjectAltName ?? '' });
    } catch (err) {
      out.unreadable.push({ source, error: err instanceof Error ? err.message : String(err) });
    }
  };
  const parts = stdout.split(/^(?=@@cert-file |@@kubeconfig )/m);
  for (const part of parts) {
    const nl = part.indexOf('\n');
    const head = nl === -1 ? part : part.slice(0, nl);
    const body = nl === -1 ? '' : part.slice(nl + 1);
    if (head.startsWith(FILE_MARK)) {
      const source = head.slice(FILE_MARK.length);
      const pems = body.match(PEM) ?? [];
      if (!pems.length) out.unreadable.push({ source, error: 'no certificate in the file' });
      // a chain (kubelet's serving certificate may carry its CA): the first block is the file's own certificate
      if (pems[0]) add(source, pems[0]);
    } else if (head.startsWith(CONF_MARK)) {
      const source = `${head.slice(CONF_MARK.length)} client certificate`;
      const data = body.trim().split('\n')[0]?.trim();
      if (!data) continue; // a client certificate in a file (kubelet.conf): read from its own file
      const pem = Buffer.from(data.replace(/^["']|["']$/g, ''), 'base64').toString('utf8').match(PEM)?.[0];
      if (pem) add(source, pem);
      else out.unreadable.push({ source, error: 'client-certificate-data is not a PEM certificate' });
    }
  }
  return out;
}

/** The certificates under `root` ('' = the node's own; a scratch folder laid out like / in tests). */
export function certificatesUnder(root: string): Fact<CertificateRead> {
  return { key: `certificates:${root}`, argv: ['sh', '-c', SCRIPT, 'sh', root], parse: (r) => parseCertificates(r.stdout) };
}

/** Every kubeadm / kubelet certificate on the node (none on a node that is not part of a cluster yet). */
export const nodeCertificates: Fact<CertificateRead> = certificatesUnder('');

/** IP addresses among a certificate's SANs. */
export function sanAddresses(subjectAltName: string): string[] {
  return [...subjectAltName.matchAll(/IP Address:([^,\s]+)/g)].map((m) => m[1]!);
}
