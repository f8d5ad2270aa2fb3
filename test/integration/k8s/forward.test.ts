/**
 * connectApi against a fake HTTPS API server on 127.0.0.1 (its own CA, client certificates required): direct
 * when the address answers, else through a real sshd's port-forward; TLS verification stays on throughout.
 * Also: admin.conf read over SSH never reaches the command log.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { CoreV1Api, VersionApi } from '@kubernetes/client-node';

import { StepError } from '../../../scripts/engine/errors.js';
import { readAdminKubeconfig } from '../../../scripts/k8s/admin-kubeconfig.js';
import { connectApi } from '../../../scripts/k8s/connect.js';
import { listNodes } from '../../../scripts/k8s/nodes.js';
import { SshTransport } from '../../../scripts/transport/ssh.js';
import { TransportError, type CommandRecord, type ExecResult, type Forward, type Transport } from '../../../scripts/transport/types.js';
import { freePorts, sshdSkipReason, startSshd, type Sshd } from '../../support/sshd.js';
import { adminConf, clientKeyData, makePki, startFakeApiServer, type FakeApiServer, type TestPki } from './fake-apiserver.js';

const skip = sshdSkipReason();

/** A transport whose forward always fails (and counts attempts). */
class NoForwardTransport implements Transport {
  readonly name = 'master';
  forwards = 0;
  async connect(): Promise<void> {}
  async exec(): Promise<ExecResult> {
    throw new Error('exec not expected');
  }
  async put(): Promise<void> {
    throw new Error('put not expected');
  }
  async forward(): Promise<Forward> {
    this.forwards++;
    throw new TransportError('unreachable', this.name, 'no port forwarding in this test');
  }
  async close(): Promise<void> {}
}

describe('connectApi', () => {
  let pki: TestPki;
  let api: FakeApiServer;
  let closedPort: number;
  before(async () => {
    pki = await makePki();
    api = await startFakeApiServer(pki);
    [closedPort] = (await freePorts(1)) as [number];
  });
  after(async () => {
    await api?.close();
    await pki?.cleanup();
  });

  test('direct: the node address answers; server name from admin.conf kept for verification', async () => {
    const t = new NoForwardTransport();
    const conn = await connectApi({
      kubeconfigYaml: adminConf(pki, `https://master:${api.port}`),
      controlPlane: { address: '127.0.0.1', transport: t },
    });
    try {
      assert.equal(conn.via, 'direct');
      assert.equal(conn.server, `https://127.0.0.1:${api.port}`);
      assert.equal(conn.tlsServerName, 'master');
      const cluster = conn.kc.getCurrentCluster()!;
      assert.equal(cluster.skipTLSVerify, false);
      assert.equal(cluster.server, conn.server);
      const since = api.requests.length;
      const nodes = await conn.kc.makeApiClient(CoreV1Api).listNode();
      assert.deepEqual(nodes.items.map((n) => n.metadata?.name), ['master', 'worker1']);
      const seen = api.requests.slice(since);
      assert.deepEqual(seen.map((r) => [r.path, r.servername, r.clientCn]), [['/api/v1/nodes', 'master', 'kubernetes-admin']]);
      assert.equal(t.forwards, 0);
    } finally {
      await conn.close();
    }
  });

  test('a certificate from another CA is refused, directly and through any forward (verification is on)', async () => {
    const t = new NoForwardTransport();
    await assert.rejects(
      connectApi({
        kubeconfigYaml: adminConf(pki, `https://master:${api.port}`, { caCert: pki.otherCaCert }),
        controlPlane: { address: '127.0.0.1', transport: t },
      }),
      (err: unknown) => {
        assert.ok(err instanceof StepError);
        assert.match(err.message, new RegExp(`directly at https://127\\.0\\.0\\.1:${api.port}: .*(certificate|self.signed)`, 'i'));
        return true;
      },
    );
    assert.equal(t.forwards, 1, 'the forward is the fallback once the direct handshake failed');
  });

  test('a name the certificate does not cover is refused', async () => {
    await assert.rejects(
      connectApi({
        kubeconfigYaml: adminConf(pki, `https://not-in-the-cert:${api.port}`),
        controlPlane: { address: '127.0.0.1', transport: new NoForwardTransport() },
      }),
      /directly at .*not-in-the-cert|Hostname\/IP does not match/,
    );
  });

  describe('through a real sshd', { skip }, () => {
    let sshd: Sshd;
    let work: string;
    const transports: SshTransport[] = [];
    const records: CommandRecord[] = [];
    const transport = (): SshTransport => {
      const t = new SshTransport({
        name: 'master',
        host: '127.0.0.1',
        port: sshd.port,
        user: 'root',
        identityFile: sshd.clientKey,
        knownHostsFile: join(work, 'known_hosts'),
        connectRetries: 0,
        logger: { record: (e) => records.push(e) },
      });
      transports.push(t);
      return t;
    };
    before(async () => {
      sshd = await startSshd();
      work = mkdtempSync(join(tmpdir(), 'kubelab-k8s-fwd-'));
    });
    after(async () => {
      await Promise.all(transports.map((t) => t.close()));
      await sshd?.stop();
      rmSync(work, { recursive: true, force: true });
    });

    test('unreachable directly: falls back to the SSH forward, TLS verified against the original name', async () => {
      const t = transport();
      const conn = await connectApi({
        kubeconfigYaml: adminConf(pki, `https://master:${closedPort}`),
        controlPlane: { address: '127.0.0.1', transport: t },
        forwardPort: api.port,
      });
      try {
        assert.equal(conn.via, 'ssh-forward');
        assert.match(conn.directError ?? '', /ECONNREFUSED/);
        assert.match(conn.server, /^https:\/\/127\.0\.0\.1:\d+$/);
        assert.notEqual(conn.server, `https://127.0.0.1:${api.port}`);
        assert.equal(conn.tlsServerName, 'master');
        assert.equal(conn.kc.getCurrentCluster()!.skipTLSVerify, false);
        const since = api.requests.length;
        const nodes = await listNodes(conn.kc);
        assert.deepEqual(
          nodes.map((n) => [n.name, n.ready, n.internalIp, n.roles]),
          [
            ['master', true, '192.168.56.10', ['control-plane']],
            ['worker1', false, '192.168.56.11', []],
          ],
        );
        const version = await conn.kc.makeApiClient(VersionApi).getCode();
        assert.equal(version.gitVersion, 'v1.35.2');
        const seen = api.requests.slice(since);
        assert.deepEqual(seen.map((r) => [r.path, r.servername, r.clientCn]), [
          ['/api/v1/nodes', 'master', 'kubernetes-admin'],
          ['/version', 'master', 'kubernetes-admin'],
        ]);
      } finally {
        await conn.close();
      }
      // Once closed, the tunnel is gone.
      await assert.rejects(conn.kc.makeApiClient(VersionApi).getCode());
    });

    test('a server given as an IP (no controlPlaneEndpoint) is verified as "kubernetes" through the tunnel', async () => {
      const conn = await connectApi({
        kubeconfigYaml: adminConf(pki, `https://10.0.0.10:${closedPort}`),
        controlPlane: { address: '127.0.0.1', transport: transport() },
        forwardPort: api.port,
      });
      try {
        assert.equal(conn.via, 'ssh-forward');
        assert.equal(conn.tlsServerName, 'kubernetes');
        assert.equal((await conn.kc.makeApiClient(VersionApi).getCode()).gitVersion, 'v1.35.2');
        assert.equal(api.requests.at(-1)?.servername, 'kubernetes');
      } finally {
        await conn.close();
      }
    });

    test('nothing listening behind the tunnel either: one error naming both attempts, with a hint', async () => {
      await assert.rejects(
        connectApi({
          kubeconfigYaml: adminConf(pki, `https://master:${closedPort}`),
          controlPlane: { address: '127.0.0.1', transport: transport() },
          forwardPort: closedPort,
          forwardTimeoutMs: 5000,
        }),
        (err: unknown) => {
          assert.ok(err instanceof StepError);
          assert.match(err.message, /directly at https:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
          assert.match(err.message, new RegExp(`through SSH to 127\\.0\\.0\\.1:${closedPort} on master: `));
          assert.match(err.hint ?? '', /crictl ps --name kube-apiserver/);
          return true;
        },
      );
    });

    test('admin.conf is read over SSH; its content never reaches the command log', async () => {
      const file = join(work, 'admin.conf');
      const content = adminConf(pki, 'https://master:6443');
      writeFileSync(file, content, { mode: 0o600 });
      records.length = 0;
      const got = await readAdminKubeconfig(transport(), { path: file });
      assert.equal(got, content);
      assert.equal(records.length, 1);
      const logged = JSON.stringify(records);
      assert.ok(!logged.includes(clientKeyData(pki)), 'the client key is not logged');
      assert.ok(!logged.includes('client-key-data'), 'no part of the content is logged');
      assert.equal(records[0]!.stdout, `<not logged: ${Buffer.byteLength(content)} bytes>`);
      assert.match(records[0]!.command, /cat -- .*admin\.conf/);
      assert.equal(records[0]!.code, 0);
    });

    test('a missing admin.conf: StepError telling to run kubelab up', async () => {
      await assert.rejects(readAdminKubeconfig(transport(), { path: join(work, 'nope.conf') }), (err: unknown) => {
        assert.ok(err instanceof StepError);
        assert.match(err.message, /^master: cannot read .*nope\.conf \(exit 1\): .*No such file/);
        assert.match(err.hint ?? '', /kubelab up/);
        return true;
      });
    });
  });
});
