/**
 * `kubelab kubeconfig` in-process against a real sshd (the "control plane" is this machine, admin.conf a temp
 * file) and the fake API server: files written, merge into KUBECONFIG, direct vs tunnel hint, errors.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { parse, stringify } from 'yaml';

import type { CliContext } from '../../../scripts/commands/cli-context.js';
import { readSettings } from '../../../scripts/commands/settings.js';
import { kubeconfigCommand } from '../../../scripts/commands/kubeconfig.js';
import { freePorts, sshdSkipReason, startSshd, type Sshd } from '../../support/sshd.js';
import { adminConf, clientKeyData, makePki, startFakeApiServer, type FakeApiServer, type TestPki } from './fake-apiserver.js';

const skip = sshdSkipReason();

function context(env: NodeJS.ProcessEnv): CliContext & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const stream = (add: (s: string) => void): NodeJS.WriteStream =>
    ({ isTTY: false, write: (s: string | Uint8Array) => (add(String(s)), true) }) as unknown as NodeJS.WriteStream;
  return {
    stdout: stream((s) => (out += s)),
    stderr: stream((s) => (err += s)),
    env,
    settings: readSettings(env),
    out: () => out,
    err: () => err,
  };
}

describe('kubelab kubeconfig', { skip }, () => {
  let sshd: Sshd;
  let pki: TestPki;
  let api: FakeApiServer;
  let dir: string;
  let closedPort: number;
  const cwd = process.cwd();

  before(async () => {
    [sshd, pki] = await Promise.all([startSshd(), makePki()]);
    api = await startFakeApiServer(pki);
    [closedPort] = (await freePorts(1)) as [number];
    dir = mkdtempSync(join(tmpdir(), 'kubelab-kubeconfig-cmd-'));
    // The command keeps its state in ./.kubelab/<cluster>, like the CLI.
    process.chdir(dir);
    writeFileSync(
      join(dir, 'lab.yaml'),
      stringify({
        apiVersion: 'kubelab/v1',
        kind: 'Cluster',
        metadata: { name: 'kc' },
        spec: {
          kubernetes: { version: '1.35' },
          network: { nodeCidr: '127.0.0.0/24' },
          ssh: { user: 'root', agent: false, identityFile: sshd.clientKey },
          nodes: [{ name: 'master', role: 'control-plane', address: '127.0.0.1', ssh: { host: '127.0.0.1', port: sshd.port } }],
        },
      }),
    );
  });
  after(async () => {
    process.chdir(cwd);
    await api?.close();
    await sshd?.stop();
    await pki?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('API server reachable only through SSH: file written (0600), merged into KUBECONFIG, tunnel hint printed', async () => {
    const admin = join(dir, 'admin-forward.conf');
    writeFileSync(admin, adminConf(pki, `https://master:${closedPort}`), { mode: 0o600 });
    const kube = join(dir, 'home', '.kube', 'config');
    mkdirSync(join(dir, 'home', '.kube'), { recursive: true });
    writeFileSync(
      kube,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'work',
        clusters: [{ name: 'work', cluster: { server: 'https://work.example' } }],
        users: [{ name: 'me', user: { token: 'abc' } }],
        contexts: [{ name: 'work', context: { cluster: 'work', user: 'me' } }],
      }),
    );
    const ctx = context({ KUBECONFIG: `${kube}:/elsewhere/config`, HOME: join(dir, 'nohome') });
    const code = await kubeconfigCommand(['-i', 'lab.yaml', '--merge'], ctx, { adminConfPath: admin, forwardPort: api.port });
    assert.equal(code, 0, ctx.err());

    const file = join(dir, '.kubelab', 'kc', 'kubeconfig');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const written = parse(readFileSync(file, 'utf8')) as Record<string, any>;
    assert.equal(written['current-context'], 'kubelab-kc');
    assert.deepEqual(written.contexts, [{ name: 'kubelab-kc', context: { cluster: 'kubelab-kc', user: 'kubelab-kc' } }]);
    assert.equal(written.clusters[0].cluster.server, `https://127.0.0.1:${closedPort}`);
    assert.equal(written.clusters[0].cluster['tls-server-name'], 'master');
    assert.equal(written.users[0].user['client-key-data'], clientKeyData(pki));

    const merged = parse(readFileSync(kube, 'utf8')) as Record<string, any>;
    assert.equal(statSync(kube).mode & 0o777, 0o600);
    assert.equal(merged['current-context'], 'work');
    assert.deepEqual(merged.contexts.map((c: { name: string }) => c.name), ['work', 'kubelab-kc']);
    assert.deepEqual(merged.users[0], { name: 'me', user: { token: 'abc' } });

    const out = ctx.out();
    assert.match(out, /^wrote \.kubelab\/kc\/kubeconfig \(context kubelab-kc, server https:\/\/127\.0\.0\.1:\d+, mode 0600\)$/m);
    assert.match(out, /^added context kubelab-kc in .*home\/\.kube\/config \(current context: work\)$/m);
    assert.match(out, /^API server v1\.35\.2 answers only through SSH to master \(direct: .*ECONNREFUSED.*\)$/m);
    const hint = out.split('\n').filter((l) => l.startsWith('hint: '));
    assert.equal(hint.length, 1);
    assert.match(hint[0]!, new RegExp(`ssh -N -L ${api.port}:127\\.0\\.0\\.1:${api.port} -p ${sshd.port} -i \\S+ root@127\\.0\\.0\\.1`));
    assert.match(hint[0]!, new RegExp(`kubectl --kubeconfig \\.kubelab/kc/kubeconfig --server https://127\\.0\\.0\\.1:${api.port} get nodes`));
    assert.ok(!out.includes(clientKeyData(pki)) && !ctx.err().includes(clientKeyData(pki)));

    // The run's host log has the cat command but not the key.
    const logs = join(dir, '.kubelab', 'kc', 'logs');
    const run = readdirSync(logs).sort().at(-1)!;
    const log = readFileSync(join(logs, run, 'master.log'), 'utf8');
    assert.match(log, /cat -- \S+admin-forward\.conf/);
    assert.ok(!log.includes(clientKeyData(pki)));

    // Again: the context is replaced, not added twice.
    const again = context({ KUBECONFIG: kube });
    assert.equal(await kubeconfigCommand(['-i', 'lab.yaml', '--merge'], again, { adminConfPath: admin, forwardPort: api.port }), 0);
    assert.match(again.out(), /^replaced context kubelab-kc in /m);
    assert.deepEqual((parse(readFileSync(kube, 'utf8')) as Record<string, any>).contexts.map((c: { name: string }) => c.name), ['work', 'kubelab-kc']);
  });

  test('API server reachable directly: no hint; json output; without --merge the user kubeconfig is not created', async () => {
    const admin = join(dir, 'admin-direct.conf');
    writeFileSync(admin, adminConf(pki, `https://master:${api.port}`), { mode: 0o600 });
    const home = join(dir, 'home2');
    const ctx = context({ HOME: home });
    const code = await kubeconfigCommand(['-i', 'lab.yaml', '-o', 'json'], ctx, { adminConfPath: admin });
    assert.equal(code, 0, ctx.err());
    const line = JSON.parse(ctx.out()) as Record<string, unknown>;
    assert.deepEqual(line, {
      type: 'kubeconfig',
      file: join(dir, '.kubelab', 'kc', 'kubeconfig'),
      context: 'kubelab-kc',
      server: `https://127.0.0.1:${api.port}`,
      tlsServerName: 'master',
      reachable: true,
      via: 'direct',
      version: 'v1.35.2',
    });
    assert.throws(() => statSync(join(home, '.kube', 'config')), { code: 'ENOENT' });
  });

  test('no admin.conf on the control plane: exit 1, message and hint, no stack', async () => {
    const ctx = context({});
    const code = await kubeconfigCommand(['-i', 'lab.yaml'], ctx, { adminConfPath: join(dir, 'missing.conf') });
    assert.equal(code, 1);
    assert.match(ctx.err(), /^kubelab: master: cannot read \S+missing\.conf \(exit 1\): .*No such file.*\n {2}hint: .*kubelab up/);
    assert.equal(ctx.out(), '');
  });

  test('an extra argument is a usage error', async () => {
    await assert.rejects(kubeconfigCommand(['-i', 'lab.yaml', 'extra'], context({})), { name: 'UsageError' });
  });
});
