/**
 * Test helper (not a test file): the FakeApi of the unit tests served over HTTPS as the Kubernetes REST API
 * (the subset k8s/client-node-api.ts calls), on 127.0.0.1 with the fake API server's PKI (client certificate required).
 * Every request is recorded with its query and JSON body.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ApiError, type KPod, type KPvc, type KService } from '../../../scripts/k8s/api.js';
import type { FakeApi } from '../../support/fake-api.js';
import type { TestPki } from '../k8s/fake-apiserver.js';

export interface RestRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
}

/**
 * An error answered once, to the first request that matches, instead of (or after) the fake API's answer; or, with
 * `hang`, no answer at all (the request is held until the client gives up or the server closes).
 */
export type RestFault = { method: string; path: RegExp; hang: true } | ErrorFault;

interface ErrorFault {
  method: string;
  path: RegExp;
  code: number;
  message: string;
  /** The fake API takes the request first (the object is stored), then the error is answered: etcd answered late. */
  afterCommit?: boolean;
}

export interface RestServer {
  port: number;
  requests: RestRequest[];
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

function send(res: ServerResponse, code: number, body: unknown, type = 'application/json'): void {
  res.writeHead(code, { 'content-type': type });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function status(res: ServerResponse, code: number, message: string): void {
  send(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code });
}

const list = (kind: string, items: unknown[]): Json => ({ kind, apiVersion: 'v1', metadata: { resourceVersion: '1' }, items });

async function route(api: FakeApi, method: string, p: string, q: URLSearchParams, body: Json | undefined, res: ServerResponse): Promise<void> {
  let m: RegExpExecArray | null;
  const ok = (v: unknown, code = 200): void => send(res, code, v);
  const orNotFound = (v: unknown, what: string): void => (v === null ? status(res, 404, `${what} not found`) : ok(v));

  if (method === 'GET' && p === '/api/v1/nodes') return ok(list('NodeList', await api.listNodes()));
  if (method === 'POST' && p === '/api/v1/namespaces') {
    const meta = (body?.metadata ?? {}) as { name: string; labels?: Record<string, string> };
    await api.createNamespace(meta.name, meta.labels ?? {});
    return ok({ apiVersion: 'v1', kind: 'Namespace', metadata: meta, status: { phase: 'Active' } }, 201);
  }
  if ((m = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(p))) {
    const ns = m[1]!;
    if (method === 'GET') return orNotFound((await api.namespaceExists(ns)) ? { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } : null, `namespaces "${ns}"`);
    if (method === 'DELETE') {
      if (!(await api.namespaceExists(ns))) return status(res, 404, `namespaces "${ns}" not found`);
      await api.deleteNamespace(ns);
      return ok({ kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name: ns, kind: 'namespaces' } });
    }
  }
  if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(p))) {
    if (method === 'GET') return ok(list('PodList', await api.listPods(m[1]!, q.get('labelSelector') ?? undefined)));
    if (method === 'POST') return ok(await api.createPod(m[1]!, body as unknown as KPod), 201);
  }
  if (method === 'GET' && (m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(p))) {
    const opts = {
      ...(q.get('container') ? { container: q.get('container')! } : {}),
      ...(q.get('limitBytes') ? { limitBytes: Number(q.get('limitBytes')) } : {}),
      ...(q.get('tailLines') ? { tailLines: Number(q.get('tailLines')) } : {}),
    };
    return send(res, 200, await api.podLogs(m[1]!, m[2]!, opts), 'text/plain');
  }
  if (method === 'GET' && (m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(p))) return orNotFound(await api.getPod(m[1]!, m[2]!), `pods "${m[2]}"`);
  if (method === 'GET' && (m = /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/]+)$/.exec(p))) {
    const exists = await api.serviceAccountExists(m[1]!, m[2]!);
    return orNotFound(exists ? { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: m[2], namespace: m[1] } } : null, `serviceaccounts "${m[2]}"`);
  }
  if (method === 'GET' && (m = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(p))) {
    const involved = /^involvedObject\.name=(.+)$/.exec(q.get('fieldSelector') ?? '')?.[1];
    return ok(list('EventList', await api.listEvents(m[1]!, involved)));
  }
  if (method === 'POST' && (m = /^\/api\/v1\/namespaces\/([^/]+)\/services$/.exec(p))) return ok(await api.createService(m[1]!, body as unknown as KService), 201);
  if (method === 'GET' && (m = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)\/proxy\/(.*)$/.exec(p))) {
    const search = q.toString();
    const r = await api.proxyGet(m[1]!, decodeURIComponent(m[2]!), `${m[3]}${search ? `?${search}` : ''}`);
    return send(res, r.status, r.body);
  }
  if (method === 'GET' && p === '/apis/storage.k8s.io/v1/storageclasses') return ok({ ...list('StorageClassList', await api.listStorageClasses()), apiVersion: 'storage.k8s.io/v1' });
  if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/persistentvolumeclaims$/.exec(p)) && method === 'POST') return ok(await api.createPvc(m[1]!, body as unknown as KPvc), 201);
  if (method === 'GET' && (m = /^\/api\/v1\/namespaces\/([^/]+)\/persistentvolumeclaims\/([^/]+)$/.exec(p))) return orNotFound(await api.getPvc(m[1]!, m[2]!), `persistentvolumeclaims "${m[2]}"`);
  if (method === 'GET' && (m = /^\/api\/v1\/persistentvolumes\/([^/]+)$/.exec(p))) return orNotFound(await api.getPv(m[1]!), `persistentvolumes "${m[1]}"`);
  if (method === 'GET' && (m = /^\/apis\/apiregistration\.k8s\.io\/v1\/apiservices\/([^/]+)$/.exec(p))) return orNotFound(await api.getApiService(m[1]!), `apiservices "${m[1]}"`);
  if (method === 'GET' && p === '/apis/metrics.k8s.io/v1beta1/nodes') return ok({ kind: 'NodeMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {}, items: await api.nodeMetrics() });
  return status(res, 404, `no route for ${method} ${p}`);
}

/** A response whose writes go nowhere (a fault's request that still reaches the fake API). */
const discard = { writeHead: () => undefined, end: () => undefined } as unknown as ServerResponse;

export async function startRestServer(pki: TestPki, api: FakeApi, faults: RestFault[] = []): Promise<RestServer> {
  const requests: RestRequest[] = [];
  const pending = [...faults];
  const server = https.createServer({ key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: true }, (req: IncomingMessage, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (raw += d));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://fake');
      const body = raw ? (JSON.parse(raw) as Json) : undefined;
      requests.push({ method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), ...(body ? { body } : {}) });
      const answer = (out: ServerResponse): Promise<void> =>
        route(api, req.method ?? '', url.pathname, url.searchParams, body, out).catch((err: unknown) => {
          if (err instanceof ApiError) status(out, err.status ?? 500, err.message);
          else status(out, 500, String(err));
        });
      const f = pending.findIndex((x) => x.method === req.method && x.path.test(url.pathname));
      if (f < 0) return void answer(res);
      const [fault] = pending.splice(f, 1);
      if ('hang' in fault!) return;
      void (fault!.afterCommit ? answer(discard) : Promise.resolve()).then(() => status(res, fault!.code, fault!.message));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
