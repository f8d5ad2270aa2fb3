import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { connectApi, type ApiConnection } from '../../../scripts/k8s/connect.js';
import { clientNodeApi } from '../../../scripts/k8s/client-node-api.js';
import type { ClusterApi } from '../../../scripts/k8s/cluster-api.js';
import { noTransport } from '../../support/recording-transport.js';
import { realApiServerMissing, startRealApiServer, type RealApiServer } from '../../support/apiserver.js';

const missing = realApiServerMissing();

describe('real kube-apiserver', { skip: missing }, () => {
  let server: RealApiServer;
  let conn: ApiConnection;
  let api: ClusterApi;
  before(async () => {
    const t0 = Date.now();
    server = await startRealApiServer();
    console.log(`started in ${Date.now() - t0} ms`);
    conn = await connectApi({ kubeconfigYaml: server.kubeconfigYaml, controlPlane: { address: '127.0.0.1', transport: noTransport } });
    api = clientNodeApi(conn);
  });
  after(async () => {
    await conn?.close();
    await server?.close();
  });
  test('smoke', async () => {
    assert.equal(conn.via, 'direct');
    assert.deepEqual(await api.listNodes(), []);
  });
});
