/**
 * Test helpers for the k8s tests (not a test file itself): the test PKI (re-exported from test/support/pki.ts)
 * and a small fake API server on 127.0.0.1 that requires a
 * client certificate from the CA, answers /version and /api/v1/nodes, and records the connection details a real
 * server does not show (SNI, client certificate CN): what the SSH-forward and kubeconfig tests ask. Everything
 * else (server-side apply, waits, reads) runs against the real API server (real-apiserver.test.ts).
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

import type { TestPki } from '../../support/pki.js';

export { adminConf, clientKeyData, makePki, type TestPki } from '../../support/pki.js';

export interface SeenRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  /** SNI sent by the client. */
  servername?: string;
  /** CN of the client certificate. */
  clientCn?: string;
}

export interface FakeApiServer {
  port: number;
  requests: SeenRequest[];
  close(): Promise<void>;
}

const NODES = {
  kind: 'NodeList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '1' },
  items: [
    {
      metadata: { name: 'master', labels: { 'node-role.kubernetes.io/control-plane': '' } },
      status: {
        addresses: [{ type: 'InternalIP', address: '192.168.56.10' }, { type: 'Hostname', address: 'master' }],
        conditions: [{ type: 'Ready', status: 'True' }],
        nodeInfo: { kubeletVersion: 'v1.35.2' },
      },
    },
    {
      metadata: { name: 'worker1', labels: {} },
      status: {
        addresses: [{ type: 'InternalIP', address: '192.168.56.11' }],
        conditions: [{ type: 'Ready', status: 'False' }],
        nodeInfo: { kubeletVersion: 'v1.35.2' },
      },
    },
  ],
};

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startFakeApiServer(pki: TestPki): Promise<FakeApiServer> {
  const requests: SeenRequest[] = [];
  const fake: FakeApiServer = { port: 0, requests, close: async () => undefined };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'https://fake');
    const sock = req.socket as TLSSocket;
    const peer = sock.getPeerCertificate();
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers['content-type'],
      servername: (sock as TLSSocket & { servername?: string | false }).servername || undefined,
      clientCn: peer?.subject ? String(peer.subject.CN) : undefined,
    });
    const p = url.pathname;
    if (p === '/version') return send(res, 200, { major: '1', minor: '35', gitVersion: 'v1.35.2', platform: 'linux/amd64' });
    if (p === '/api/v1/nodes' && req.method === 'GET') return send(res, 200, NODES);
    return send(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `${p} not found`, reason: 'NotFound', code: 404 });
  };

  const server = https.createServer(
    { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      req.resume();
      req.on('end', () => handle(req, res));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = (server.address() as AddressInfo).port;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
