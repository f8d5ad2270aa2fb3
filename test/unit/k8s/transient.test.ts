/** Transient API errors are tried again; other errors and the last try's error go through. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createServer } from 'node:net';
import { ApiException } from '@kubernetes/client-node';
import { apiMessage } from '../../../scripts/k8s/apply.js';
import { isTransient, retryTransient } from '../../../scripts/k8s/transient.js';
import { RequestBudgetError, RequestDeadlineError } from '../../../scripts/k8s/request-deadline.js';

// the message the real kube-apiserver v1.35.4 answered a server-side apply with on the e2e lab when etcd was slow
// ("server-side apply of Deployment kube-system/metrics-server failed: etcdserver: request timed out"), in a Status body
const etcdTimeout = new ApiException(500, 'HTTP-Code: 500', JSON.stringify({ kind: 'Status', status: 'Failure', message: 'etcdserver: request timed out', code: 500 }), {});

describe('transient API errors', () => {
  it('tells a dropped request from a refusal', () => {
    assert.equal(isTransient(etcdTimeout), true);
    assert.equal(isTransient(new ApiException(503, 'x', '{}', {})), true);
    assert.equal(isTransient(new ApiException(422, 'x', JSON.stringify({ message: 'Deployment.apps "m" is invalid' }), {})), false);
    // a Service create on the emulated e2e lab: etcd's timeout inside a 422
    const allocate = 'Service "web" is invalid: spec.clusterIPs: Invalid value: [""]: failed to allocate IP: etcdserver: request timed out';
    assert.equal(isTransient(new ApiException(422, 'x', JSON.stringify({ kind: 'Status', message: allocate, code: 422 }), {})), true);
    // a PVC create on the same lab: an admission plugin's read timed out, answered as a 403
    const admission = 'persistentvolumeclaims "data" is forbidden: the server was unable to return a response in the time allotted, but may still be processing the request (get limitranges)';
    assert.equal(isTransient(new ApiException(403, 'x', JSON.stringify({ kind: 'Status', message: admission, code: 403 }), {})), true);
    assert.equal(isTransient(new ApiException(403, 'x', JSON.stringify({ kind: 'Status', message: 'pods is forbidden: User "x" cannot create', code: 403 }), {})), false);
    // the API server just started, its RBAC roles not loaded yet (the e2e lab after a reboot): forbidden for a moment
    const rbac =
      'namespaces "kubelab-smoke" is forbidden: User "kubernetes-admin" cannot delete resource "namespaces" in API group "" in the namespace "kubelab-smoke": RBAC: [clusterrole.rbac.authorization.k8s.io "cluster-admin" not found, clusterrole.rbac.authorization.k8s.io "system:basic-user" not found]';
    assert.equal(isTransient(new ApiException(403, 'x', JSON.stringify({ kind: 'Status', message: rbac, code: 403 }), {})), true);
    // a role of the user's own that is missing is a refusal
    const own = 'pods is forbidden: User "ann" cannot list resource "pods": RBAC: clusterrole.rbac.authorization.k8s.io "lab-reader" not found';
    assert.equal(isTransient(new ApiException(403, 'x', JSON.stringify({ kind: 'Status', message: own, code: 403 }), {})), false);
    assert.equal(isTransient(new ApiException(409, 'x', JSON.stringify({ message: 'pods "a" already exists' }), {})), false);
    assert.equal(isTransient(new ApiException(404, 'x', '{}', {})), false);
    assert.equal(isTransient(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), true);
    assert.equal(isTransient(new Error('cannot parse')), false);
    // kubelab's own deadlines (request-deadline.ts): one request abandoned is tried again, a spent budget is not
    assert.equal(isTransient(new RequestDeadlineError(30_000)), true);
    assert.equal(isTransient(new RequestBudgetError(120_000)), false);
  });

  it("a connection dropped under fetch (undici's \"fetch failed\", the code in its cause) is transient and its message says why", async () => {
    // a server on 127.0.0.1 that reads the request and closes the connection without an answer
    const server = createServer((sock) => sock.once('data', () => sock.destroy()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const err = await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/x/pods`, { method: 'POST', body: '{}' }).then(
        () => assert.fail('answered'),
        (e: unknown) => e,
      );
      assert.equal((err as Error).message, 'fetch failed');
      assert.equal(isTransient(err), true);
      assert.match(apiMessage(err), /^fetch failed \(.+\)$/);
    } finally {
      server.close();
    }
    // a name that does not resolve is no moment's trouble
    const notFound = new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND cp.lab'), { code: 'ENOTFOUND' }) });
    assert.equal(isTransient(notFound), false);
    assert.equal(apiMessage(notFound), 'fetch failed (getaddrinfo ENOTFOUND cp.lab)');
  });

  it('tries again after a transient error with growing waits, up to the attempts; a refusal at once', async () => {
    const waits: number[] = [];
    const sleep = async (ms: number): Promise<void> => void waits.push(ms);
    let calls = 0;
    const ok = await retryTransient(async () => {
      if (++calls < 3) throw etcdTimeout;
      return 'applied';
    }, { sleep });
    assert.deepEqual([ok, calls, waits], ['applied', 3, [3000, 6000]]);

    calls = 0;
    await assert.rejects(retryTransient(async () => { calls++; throw etcdTimeout; }, { sleep, attempts: 4 }), (e) => e === etcdTimeout);
    assert.equal(calls, 4);

    calls = 0;
    const invalid = new ApiException(422, 'x', '{}', {});
    await assert.rejects(retryTransient(async () => { calls++; throw invalid; }, { sleep }), (e) => e === invalid);
    assert.equal(calls, 1);
  });
});
