import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { installArtifacts } from '../../../scripts/artifacts/for-run.js';
import type { InstallArtifacts, NodeFile } from '../../../scripts/engine/install-artifacts.js';
import { StepError } from '../../../scripts/engine/errors.js';
import { FactCache } from '../../../scripts/engine/facts.js';
import { hostContext } from '../../../scripts/engine/run.js';
import type { Change, HostContext, TransportPool } from '../../../scripts/engine/types.js';
import { nodeArch, nodeFileChanges } from '../../../scripts/steps/kubernetes-binaries.js';
import { SshTransport } from '../../../scripts/transport/ssh.js';
import type { PutOptions, Transport } from '../../../scripts/transport/types.js';
import { testCluster } from '../../support/cluster.js';
import { testInventory } from '../../support/inventory.js';
import { sshdSkipReason, startSshd, type Sshd } from '../../support/sshd.js';

const skip = sshdSkipReason();

/** The real SSH transport, counting what crosses the wire as uploads. */
class CountingTransport implements Transport {
  readonly uploads: string[] = [];
  constructor(private readonly inner: SshTransport) {}
  get name(): string {
    return this.inner.name;
  }
  connect = (): Promise<void> => this.inner.connect();
  exec: Transport['exec'] = (argv, opts) => this.inner.exec(argv, opts);
  async put(content: string | Buffer, dest: string, opts: PutOptions): Promise<void> {
    this.uploads.push(dest);
    return this.inner.put(content, dest, opts);
  }
  async putFile(localPath: string, dest: string, opts: PutOptions): Promise<void> {
    this.uploads.push(dest);
    return this.inner.putFile(localPath, dest, opts);
  }
  close = (): Promise<void> => this.inner.close();
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('install: binaries puts verified files on a node over real SSH', { skip }, () => {
  let sshd: Sshd;
  let ssh: SshTransport;
  let transport: CountingTransport;
  const work = mkdtempSync(join(tmpdir(), 'kubelab-node-files-'));
  const root = join(work, 'node');
  const local = join(work, 'workstation');
  const inv = testInventory({ kubernetes: { version: '1.35.4', install: 'binaries' } });
  const node = inv.spec.nodes[0]!;

  const fileOf = (name: string, bytes: Buffer, remotePath: string, sum = sha256(bytes)): NodeFile => {
    const localPath = join(local, name);
    writeFileSync(localPath, bytes);
    return { localPath, sha256: sum, size: bytes.length, remotePath, mode: 0o755, source: `test:${name}` };
  };

  /** A host of a fresh run (facts read again), its artifacts from a fake provider: the seam the lead wires. */
  const freshHost = (artifacts: InstallArtifacts): HostContext => {
    const pool: TransportPool = { get: () => transport, closeAll: async () => undefined };
    const cluster = testCluster(inv, 'apply', pool, new Map(), { installArtifacts: async () => artifacts });
    return hostContext(cluster, node, transport, new FactCache(transport));
  };
  const plan = async (host: HostContext): Promise<Change[]> =>
    nodeFileChanges(host, (await installArtifacts(host.cluster, await nodeArch(host))).files);

  before(async () => {
    mkdirSync(local, { recursive: true });
    sshd = await startSshd();
    ssh = new SshTransport({
      name: node.name,
      host: '127.0.0.1',
      port: sshd.port,
      user: 'root',
      identityFile: sshd.clientKey,
      knownHostsFile: join(work, 'known_hosts'),
      connectRetries: 0,
    });
    transport = new CountingTransport(ssh);
  });
  after(async () => {
    await ssh?.close();
    await sshd?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('installs missing files, then a re-run plans nothing and uploads nothing', async () => {
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const files = [
      fileOf('kubeadm', big, join(root, 'usr/bin/kubeadm')),
      fileOf('bridge', Buffer.from('#!/bin/sh\necho bridge\n'), join(root, 'opt/cni/bin/bridge')),
    ];
    const artifacts: InstallArtifacts = { kubernetesVersion: '1.35.4', files, images: [] };

    const first = freshHost(artifacts);
    const changes = await plan(first);
    assert.deepEqual(
      changes.map((c) => c.description),
      [`install ${files[0]!.remotePath} (${big.length} bytes)`, `install ${files[1]!.remotePath} (${files[1]!.size} bytes)`],
    );
    for (const c of changes) await c.apply(first);
    assert.deepEqual(transport.uploads.length, 2);
    for (const f of files) {
      assert.equal(sha256(readFileSync(f.remotePath)), f.sha256);
      assert.equal(statSync(f.remotePath).mode & 0o7777, 0o755);
    }
    // nothing left beside the targets
    assert.deepEqual(readdirSync(join(root, 'usr/bin')), ['kubeadm']);
    assert.deepEqual(readdirSync(join(root, 'opt/cni/bin')), ['bridge']);

    transport.uploads.length = 0;
    const again = await plan(freshHost(artifacts));
    assert.deepEqual(again.map((c) => c.description), []);
    assert.deepEqual(transport.uploads, []);

    // a file changed on the node is replaced, and only that one crosses the wire
    writeFileSync(files[1]!.remotePath, 'tampered\n');
    const third = freshHost(artifacts);
    const fix = await plan(third);
    assert.deepEqual(fix.map((c) => c.description), [`replace ${files[1]!.remotePath} (${files[1]!.size} bytes)`]);
    for (const c of fix) await c.apply(third);
    assert.deepEqual(transport.uploads, [join(root, 'opt/cni/bin/.bridge.kubelab-new')]);
    assert.equal(readFileSync(files[1]!.remotePath, 'utf8'), '#!/bin/sh\necho bridge\n');
  });

  test('bytes that do not match their sha256 on the node are refused and nothing is installed', async () => {
    const bytes = Buffer.from('not what the release published\n');
    const wrong = fileOf('kubectl', bytes, join(root, 'usr/local/bin/kubectl'), sha256(Buffer.from('the published bytes\n')));
    const host = freshHost({ kubernetesVersion: '1.35.4', files: [wrong], images: [] });
    const changes = await plan(host);
    assert.equal(changes.length, 1);
    await assert.rejects(changes[0]!.apply(host), (err: unknown) => {
      assert.ok(err instanceof StepError, String(err));
      assert.match(err.message, new RegExp(`^${wrong.remotePath}: the uploaded file has sha256 ${sha256(bytes)} on master, expected ${wrong.sha256} \\(from test:kubectl\\); not installed$`));
      assert.match(err.hint ?? '', /corrupt/);
      return true;
    });
    // neither the target nor the staged upload remains
    assert.deepEqual(readdirSync(join(root, 'usr/local/bin')), []);
  });
});
