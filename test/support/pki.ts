/**
 * Test PKI made with openssl: a CA, a server certificate (SANs given), a client certificate like kubeadm's admin
 * (CN=kubernetes-admin, O=system:masters), and a kubeconfig shaped like kubeadm's admin.conf. Used by the fake
 * API server and by the real one (test/support/apiserver.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { stringify } from 'yaml';

const execFileP = promisify(execFile);

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A second, unrelated CA (its certificate only), to show that verification is on. */
  otherCaCert: string;
  cleanup(): Promise<void>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await execFileP('openssl', args, { cwd });
}

/** CA + server certificate (SANs given) + client certificate (CN=kubernetes-admin, O=system:masters). */
export async function makePki(sans: string[] = ['DNS:master', 'DNS:kubernetes', 'IP:10.0.0.10']): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'kubelab-k8s-pki-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=kubelab-test-ca'], dir);
  await openssl(['req', '-x509', ...ec, '-keyout', 'other-ca.key', '-out', 'other-ca.crt', '-days', '2', '-subj', '/CN=other-ca'], dir);
  await writeFile(
    join(dir, 'server.ext'),
    `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.join(',')}\n`,
  );
  await writeFile(
    join(dir, 'client.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
  );
  await openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver'], dir);
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext'], dir);
  await openssl(['req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/O=system:masters/CN=kubernetes-admin'], dir);
  await openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2', '-extfile', 'client.ext'], dir);
  const read = (f: string): Promise<string> => readFile(join(dir, f), 'utf8');
  return {
    dir,
    caCert: await read('ca.crt'),
    serverCert: await read('server.crt'),
    serverKey: await read('server.key'),
    clientCert: await read('client.crt'),
    clientKey: await read('client.key'),
    otherCaCert: await read('other-ca.crt'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** A kubeconfig shaped like kubeadm's admin.conf. */
export function adminConf(pki: TestPki, server: string, opts: { caCert?: string } = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kubernetes', cluster: { 'certificate-authority-data': b64(opts.caCert ?? pki.caCert), server } }],
    contexts: [{ name: 'kubernetes-admin@kubernetes', context: { cluster: 'kubernetes', user: 'kubernetes-admin' } }],
    'current-context': 'kubernetes-admin@kubernetes',
    preferences: {},
    users: [
      {
        name: 'kubernetes-admin',
        user: { 'client-certificate-data': b64(pki.clientCert), 'client-key-data': b64(pki.clientKey) },
      },
    ],
  });
}

/** The base64 of the client key as it appears in adminConf(): must never reach a log. */
export function clientKeyData(pki: TestPki): string {
  return b64(pki.clientKey);
}

/** Another client certificate from the test CA (e.g. subject "/O=system:nodes/CN=system:node:master"). */
export async function clientCertificate(pki: TestPki, subject: string): Promise<{ cert: string; key: string }> {
  const dir = await mkdtemp(join(pki.dir, 'client-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', subject], dir);
  await openssl(['x509', '-req', '-in', 'client.csr', '-CA', '../ca.crt', '-CAkey', '../ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2', '-extfile', '../client.ext'], dir);
  return { cert: await readFile(join(dir, 'client.crt'), 'utf8'), key: await readFile(join(dir, 'client.key'), 'utf8') };
}

/** A PEM PKCS#10 request made by openssl (new P-256 key) with the subject and subjectAltNames given ("IP:...", "DNS:..."). */
export async function certificateRequest(pki: TestPki, subject: string, sans: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(pki.dir, 'csr-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', ...ec, '-keyout', 'req.key', '-out', 'req.csr', '-subj', subject, ...(sans.length ? ['-addext', `subjectAltName=${sans.join(',')}`] : [])], dir);
  return readFile(join(dir, 'req.csr'), 'utf8');
}

/**
 * A certificate from the test CA valid for `days` from now (-1: it expired a day ago, as openssl 3.0's
 * `x509 -days -1` makes it), with the subjectAltNames given ("IP:...", "DNS:...").
 */
export async function certificateValidFor(pki: TestPki, subject: string, days: number, sans: readonly string[] = []): Promise<{ cert: string; key: string }> {
  const dir = await mkdtemp(join(pki.dir, 'cert-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await writeFile(join(dir, 'ext'), `basicConstraints=CA:FALSE\n${sans.length ? `subjectAltName=${sans.join(',')}\n` : ''}`);
  await openssl(['req', ...ec, '-keyout', 'c.key', '-out', 'c.csr', '-subj', subject], dir);
  await openssl(['x509', '-req', '-in', 'c.csr', '-CA', '../ca.crt', '-CAkey', '../ca.key', '-CAcreateserial', '-out', 'c.crt', '-days', String(days), '-extfile', 'ext'], dir);
  return { cert: await readFile(join(dir, 'c.crt'), 'utf8'), key: await readFile(join(dir, 'c.key'), 'utf8') };
}
