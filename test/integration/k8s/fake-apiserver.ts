/**
 * Test helpers for the k8s tests (not a test file itself): the test PKI (re-exported from test/support/pki.ts)
 * and a small fake API server on 127.0.0.1 that requires a
 * client certificate from the CA and answers /version, /api/v1/nodes, discovery, and GET/PATCH (server-side
 * apply) of ConfigMaps, DaemonSets and Deployments kept in memory.
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

type Obj = Record<string, any>;

export interface FakeApiServer {
  port: number;
  requests: SeenRequest[];
  /** Objects by "<plural>/<namespace>/<name>". */
  objects: Map<string, Obj>;
  /** Called on every GET of a DaemonSet/Deployment before it is returned (to move rollouts along). */
  onRead?: (key: string, obj: Obj) => void;
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

const RESOURCES: Record<string, { groupVersion: string; resources: Obj[] }> = {
  '/api/v1': {
    groupVersion: 'v1',
    resources: [
      { name: 'configmaps', kind: 'ConfigMap', namespaced: true, verbs: ['get', 'patch'] },
      { name: 'nodes', kind: 'Node', namespaced: false, verbs: ['list'] },
    ],
  },
  '/apis/apps/v1': {
    groupVersion: 'apps/v1',
    resources: [
      { name: 'daemonsets', kind: 'DaemonSet', namespaced: true, verbs: ['get', 'patch'] },
      { name: 'deployments', kind: 'Deployment', namespaced: true, verbs: ['get', 'patch'] },
    ],
  },
};

const KINDS: Record<string, string> = { configmaps: 'ConfigMap', daemonsets: 'DaemonSet', deployments: 'Deployment' };

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse, what: string): void {
  send(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `${what} not found`, reason: 'NotFound', code: 404 });
}

/** The desired part of an object (what an apply can change): everything but metadata bookkeeping and status. */
function desired(o: Obj): string {
  const { metadata, status: _status, ...rest } = o;
  const { resourceVersion: _rv, uid: _uid, generation: _g, managedFields: _mf, creationTimestamp: _ct, ...meta } = metadata ?? {};
  return JSON.stringify({ ...rest, metadata: meta });
}

export async function startFakeApiServer(pki: TestPki): Promise<FakeApiServer> {
  const requests: SeenRequest[] = [];
  const objects = new Map<string, Obj>();
  let rv = 100;
  const fake: FakeApiServer = { port: 0, requests, objects, close: async () => undefined };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
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
    const discovery = RESOURCES[p];
    if (discovery) return send(res, 200, { kind: 'APIResourceList', ...discovery });
    const m = /^(\/api\/v1|\/apis\/apps\/v1)\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(p);
    if (!m || !KINDS[m[3]!]) return notFound(res, p);
    const [, , ns, plural, name] = m as unknown as [string, string, string, string, string];
    const key = `${plural}/${ns}/${name}`;
    if (req.method === 'GET') {
      const obj = objects.get(key);
      if (!obj) return notFound(res, key);
      fake.onRead?.(key, obj);
      return send(res, 200, obj);
    }
    if (req.method === 'PATCH') {
      if (req.headers['content-type'] !== 'application/apply-patch+yaml') {
        return send(res, 415, { kind: 'Status', message: `unsupported patch type ${req.headers['content-type']}`, code: 415 });
      }
      if (name.includes('_')) {
        return send(res, 422, {
          kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Invalid', code: 422,
          message: `${KINDS[plural]} "${name}" is invalid: metadata.name: Invalid value: "${name}"`,
        });
      }
      const applied = JSON.parse(body) as Obj;
      const old = objects.get(key);
      if (old && desired(old) === desired({ ...applied, metadata: { ...applied.metadata, namespace: ns } })) {
        return send(res, 200, old); // a no-op apply: nothing written, resourceVersion unchanged
      }
      const generation = (old?.metadata?.generation ?? 0) + 1;
      const obj = {
        ...applied,
        metadata: { ...applied.metadata, namespace: ns, resourceVersion: String(++rv), generation },
        ...(old?.status ? { status: old.status } : {}),
      };
      objects.set(key, obj);
      return send(res, old ? 200 : 201, obj);
    }
    return send(res, 405, { kind: 'Status', message: 'method not allowed', code: 405 });
  };

  const server = https.createServer(
    { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (d: string) => (body += d));
      req.on('end', () => handle(req, res, body));
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
