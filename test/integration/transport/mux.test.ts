/**
 * The connection keeper (mux daemon) against a real sshd: exec/put/forward through the daemon give what a direct
 * connection gives, a second CLI process reuses the daemon's SSH connection, the daemon exits when idle or when
 * the inventory changes, errors keep their kind, secrets stay out of its argv/environment and the logs, and the
 * CLI falls back to direct connections when the daemon cannot start. Every test uses its own cluster (state dir),
 * so its own daemon; all daemons are stopped in after().
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { CliContext } from '../../../scripts/commands/cli-context.js';
import { readSettings } from '../../../scripts/commands/settings.js';
import { openSession, type Session } from '../../../scripts/commands/session.js';
import { loadInventory } from '../../../scripts/inventory/load.js';
import { muxSocketPath, stopMux } from '../../../scripts/transport/mux-client.js';
import { TransportError, type ExecOptions, type ExecResult } from '../../../scripts/transport/types.js';
import { sshInventoryYaml } from '../../support/inventory.js';
import { freePorts, sshdSkipReason, startSshd, type Sshd } from '../../support/sshd.js';

const CLI = resolve('dist/scripts/kubelab.js');
const skip = sshdSkipReason();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('mux: the connection keeper daemon', { skip }, () => {
  let sshd: Sshd;
  let dir: string;
  let otherKey: string;
  const cwd = process.cwd();
  const clusters = new Set<string>();
  const pids = new Set<number>();
  const sessions: Session[] = [];

  const stateOf = (cluster: string): string => join(dir, '.kubelab', cluster);

  /** Writes <cluster>.yaml with the given nodes (default: two nodes on the sshd's two ports). */
  const inventory = (cluster: string, opts: { nodes?: object[]; ssh?: object } = {}): string => {
    clusters.add(cluster);
    const file = join(dir, `${cluster}.yaml`);
    const nodes = opts.nodes ?? [
      { name: 'master', role: 'control-plane', address: '192.168.56.10', ssh: { host: '127.0.0.1', port: sshd.ports[0] } },
      { name: 'worker1', role: 'worker', address: '192.168.56.11', ssh: { host: '127.0.0.1', port: sshd.ports[1] } },
    ];
    writeFileSync(file, sshInventoryYaml(cluster, { user: 'root', identityFile: sshd.clientKey, ...opts.ssh }, nodes as Record<string, unknown>[]));
    return file;
  };

  const kubelab = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> =>
    new Promise((res) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, SSH_AUTH_SOCK: '', ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
    });

  /** `exec --output json`: the exec lines by host. */
  const execJson = async (file: string, cmd: string[], env: NodeJS.ProcessEnv = {}): Promise<Map<string, ExecResult & { error?: string }>> => {
    const r = await kubelab(['exec', '-i', file, '--output', 'json', '--', ...cmd], env);
    const lines = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; host: string });
    return new Map(lines.filter((l) => l.type === 'exec').map((l) => [l.host, l as unknown as ExecResult & { error?: string }]));
  };

  /** The newest run's host log of a cluster. */
  const lastLog = (cluster: string, host: string): string => {
    const logs = join(stateOf(cluster), 'logs');
    const run = readdirSync(logs).sort().at(-1)!;
    return readFileSync(join(logs, run, `${host}.log`), 'utf8');
  };

  /** The daemon pid the newest run noted in its host log, or undefined when it went direct. */
  const daemonPid = (cluster: string, host = 'master'): number | undefined => {
    const m = /connection keeper \(mux daemon pid (\d+)/.exec(lastLog(cluster, host));
    if (!m) return undefined;
    const pid = Number(m[1]);
    pids.add(pid);
    return pid;
  };

  /** Waits for the daemon to exit; `ms` is a deadline for a hung daemon, generous for a busy machine, not a performance bound. */
  const waitGone = async (pid: number, ms: number): Promise<number> => {
    const t0 = Date.now();
    while (alive(pid)) {
      if (Date.now() - t0 > ms) assert.fail(`daemon ${pid} still running after ${ms} ms`);
      await sleep(100);
    }
    return Date.now() - t0;
  };

  const ctx = (env: NodeJS.ProcessEnv): CliContext => {
    const sink = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
    return { stdout: sink, stderr: sink, env, settings: readSettings(env) };
  };

  const session = async (file: string, env: NodeJS.ProcessEnv): Promise<Session> => {
    const s = await openSession(await loadInventory(file), ctx(env));
    sessions.push(s);
    return s;
  };

  before(async () => {
    sshd = await startSshd({ ports: 2 });
    dir = mkdtempSync(join(tmpdir(), 'kubelab-mux-'));
    // in-process sessions keep their state in ./.kubelab/<cluster>, like the CLI
    process.chdir(dir);
    otherKey = sshd.hostKey; // a valid private key that is not authorized
  });

  after(async () => {
    await Promise.allSettled(sessions.map((s) => s.close()));
    process.chdir(cwd);
    await Promise.all([...clusters].map((c) => stopMux(stateOf(c))));
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('exec, put and forward through the daemon give what a direct connection gives; logs are written', async () => {
    const file = inventory('same');
    const mux = await session(file, { KUBELAB_PERSIST: '60' });
    const direct = await session(file, { KUBELAB_PERSIST: '0' });
    const node = mux.nodes[0]!;
    const m = mux.transports.get(node);
    const d = direct.transports.get(node);
    assert.equal(m.constructor.name, 'MuxTransport');
    assert.equal(d.constructor.name, 'SshTransport');

    const nasty = ['', ' ', "it's", '"q"', '$HOME $(id) `id`', '*', '~', 'a\nb\n', '\\', '; rm -rf / #', 'ünï 漢字 🚀', '-n'];
    const cases: [string[], ExecOptions][] = [
      [['printf', '%s\\0', ...nasty], {}],
      [['sh', '-c', 'echo out; echo err >&2; exit 7'], {}],
      [['sh', '-c', 'kill -9 $$'], {}],
      [['cat'], { stdin: 'from stdin\n' }],
      [['od', '-An', '-tx1'], { stdin: Buffer.from([0, 255, 10, 13, 0x80]) }],
      [['sh', '-c', 'printf "\\377\\376bin"'], {}],
      [['id', '-u'], { asLoginUser: true }],
    ];
    for (const [argv, opts] of cases) {
      const [a, b] = await Promise.all([m.exec(argv, opts), d.exec(argv, opts)]);
      assert.deepEqual({ stdout: a.stdout, stderr: a.stderr, code: a.code }, { stdout: b.stdout, stderr: b.stderr, code: b.code }, argv.join(' '));
      assert.ok(a.durationMs >= 0);
    }
    const nastyOut = await m.exec(['printf', '%s\\0', ...nasty]);
    assert.deepEqual(nastyOut.stdout.split('\0').slice(0, -1), nasty);

    // 20 MB of output: the daemon streams it into this run's log folder; only the tail comes back
    const size = 20 * 1024 * 1024;
    const bigCmd = ['sh', '-c', `head -c ${size} /dev/zero | tr '\\000' a; head -c 1000 /dev/zero | tr '\\000' e >&2`];
    const big = await m.exec(bigCmd);
    assert.equal(big.code, 0);
    assert.equal(big.stdout.length, 8 * 1024 * 1024);
    assert.ok(/^a+$/.test(big.stdout));
    assert.equal(big.stdoutCut, size - big.stdout.length);
    assert.equal(big.stderr.length, 1000);
    assert.ok(big.stdoutFile?.startsWith(`${mux.logs.dir}/outputs/`), big.stdoutFile);
    assert.equal(statSync(big.stdoutFile!).size, size);
    const bigDirect = await d.exec(bigCmd);
    assert.equal(bigDirect.stdoutCut, big.stdoutCut);

    // errors keep their kind
    await assert.rejects(m.exec(['sleep', '5'], { timeoutMs: 300 }), (err: unknown) => {
      assert.ok(err instanceof TransportError, String(err));
      assert.equal(err.kind, 'timeout');
      assert.equal(err.host, 'master');
      assert.match(err.message, /timed out after 300ms on master: sleep 5/);
      return true;
    });
    await assert.rejects(m.exec([]), TypeError);

    // put through the daemon
    const remote = `/tmp/kubelab-mux-${randomBytes(4).toString('hex')}`;
    const content = Buffer.concat([Buffer.from('line1\n'), randomBytes(64 * 1024)]);
    await m.put(content, `${remote}/sub/file`, { mode: 0o640 });
    const st = await m.exec(['stat', '-c', '%a %s', `${remote}/sub/file`]);
    assert.equal(st.stdout.trim(), `640 ${content.length}`);
    const sum = await m.exec(['sha256sum', `${remote}/sub/file`]);
    const { createHash } = await import('node:crypto');
    assert.equal(sum.stdout.split(' ')[0], createHash('sha256').update(content).digest('hex'));
    await assert.rejects(m.put('x', 'relative/path', { mode: 0o600 }), TypeError);

    // putFile through the daemon: it reads the workstation file itself (a relative path resolved by the client)
    const localFile = join(dir, 'upload.bin');
    const fileBytes = randomBytes(2 * 1024 * 1024 + 5);
    writeFileSync(localFile, fileBytes);
    await m.putFile!(localFile, `${remote}/from-file`, { mode: 0o755 });
    const fst = await m.exec(['stat', '-c', '%a %s', `${remote}/from-file`]);
    assert.equal(fst.stdout.trim(), `755 ${fileBytes.length}`);
    const fsum = await m.exec(['sha256sum', `${remote}/from-file`]);
    assert.equal(fsum.stdout.split(' ')[0], createHash('sha256').update(fileBytes).digest('hex'));
    await assert.rejects(m.putFile!(join(dir, 'missing.bin'), `${remote}/missing`, { mode: 0o600 }), (err: unknown) => {
      assert.ok(err instanceof TransportError, String(err));
      assert.match(err.message, /SFTP upload of .*\/missing .*failed: .*ENOENT/);
      return true;
    });
    await m.exec(['rm', '-rf', remote]);

    // forward through the daemon: the sshd's own banner through the tunnel
    const fwd = await m.forward!('127.0.0.1', sshd.port);
    const banner = await new Promise<string>((res, rej) => {
      const s = net.connect(fwd.localPort, '127.0.0.1');
      s.once('data', (buf) => {
        s.destroy();
        res(buf.toString());
      });
      s.once('error', rej);
    });
    assert.match(banner, /^SSH-2\.0-OpenSSH/);
    await fwd.close();

    // secrets given to one command are redacted in the log written by this run
    await m.exec(['echo', 'tok-9f8e7d'], { secrets: ['tok-9f8e7d'] });
    await mux.close();
    const log = readFileSync(join(mux.logs.dir, 'master.log'), 'utf8');
    assert.match(log, /^# ssh through the connection keeper \(mux daemon pid \d+/m);
    assert.match(log, /\$ printf '%s\\0' '' ' ' 'it'\\''s'/);
    assert.match(log, /\$ sh -c 'echo out; echo err >&2; exit 7'\nexit 7 in \d+ ms\nstdout:\nout\nstderr:\nerr\n/);
    assert.match(log, /\$ sleep 5\nexit -1 in \d+ ms/);
    assert.match(log, /\$ echo <redacted>\nexit 0 in \d+ ms\nstdout:\n<redacted>\n/);
    assert.match(log, /\nstdout: in outputs\/[0-9a-f]{32}\.out\nstderr:\ne{1000}\n/);
    assert.ok(!log.includes('tok-9f8e7d'));
    assert.ok(!log.includes('kubelab-mux-request'), 'the routing marker stays inside the daemon');
  });

  test('kubelab exec with 30 MB of output on two hosts: the tail shown, the cut said, the output stored once; the daemon stays', async () => {
    const file = inventory('bigout');
    const size = 30 * 1000 * 1000;
    const r = await kubelab(['exec', '-i', file, '--output', 'plain', '--', 'sh', '-c', `yes | head -c ${size}`]);
    assert.equal(r.code, 0, r.stderr);
    const cut = size - 256 * 1024;
    const m = new RegExp(`^master \\| \\[\\.\\.\\. ${cut} bytes cut, full output in (\\S+)\\]$`, 'm').exec(r.stdout);
    assert.ok(m, r.stdout.slice(0, 300));
    assert.match(r.stdout, new RegExp(`^worker1 \\| \\[\\.\\.\\. ${cut} bytes cut, full output in ${m[1]!.replace(/[.]/g, '\\.')}\\]$`, 'm'));
    assert.equal(r.stdout.split('\n').filter((l) => l === 'master | y').length, (256 * 1024) / 2);
    assert.equal(statSync(m[1]!).size, size);
    assert.equal(readdirSync(join(m[1]!, '..')).length, 1, 'the same output of two hosts is stored once');
    const pid = daemonPid('bigout');
    assert.ok(pid !== undefined && alive(pid), 'the daemon survived');
    assert.match(lastLog('bigout', 'worker1'), /stdout: in outputs\/[0-9a-f]{32}\.out/);
  });

  test('a second CLI process reuses the daemon\'s SSH connection; KUBELAB_PERSIST=0 connects anew; no ssh2 in the client', async () => {
    const file = inventory('reuse');
    const cmd = ['sh', '-c', 'echo $SSH_CONNECTION'];
    const srcPorts = (m: Map<string, ExecResult>): string[] =>
      ['master', 'worker1'].map((h) => {
        const r = m.get(h);
        assert.equal(r?.code, 0, JSON.stringify(r));
        return r!.stdout.trim().split(' ')[1]!;
      });
    const first = srcPorts(await execJson(file, cmd));
    const pid1 = daemonPid('reuse');
    assert.ok(pid1 && alive(pid1), 'the daemon stays after the run');
    // report which modules the client loaded (the daemon gets none of this environment)
    const hook = join(dir, 'ssh2-hook.cjs');
    writeFileSync(
      hook,
      `process.on('exit', () => process.stderr.write('ssh2 modules: ' + Object.keys(require.cache).filter((k) => /node_modules[\\\\/]ssh2[\\\\/]/.test(k)).length + '\\n'));\n`,
    );
    const r2 = await kubelab(['exec', '-i', file, '--output', 'json', '--', ...cmd], { NODE_OPTIONS: `--require ${hook}` });
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stderr, /ssh2 modules: 0\n/, 'the client does not load ssh2 while the daemon serves');
    const second = srcPorts(
      new Map(
        r2.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as ExecResult & { type: string; host: string })
          .filter((l) => l.type === 'exec')
          .map((l) => [l.host, l]),
      ),
    );
    assert.deepEqual(second, first, 'same client source ports: the same SSH connections');
    assert.equal(daemonPid('reuse'), pid1);

    // the socket is private
    const sock = muxSocketPath(stateOf('reuse'));
    assert.equal(statSync(sock).mode & 0o777, 0o600);
    assert.equal(statSync(join(sock, '..')).mode & 0o077, 0);

    // KUBELAB_PERSIST=0: direct connections, new each time, no daemon involved
    const direct = await kubelab(['exec', '-i', file, '--output', 'json', '--', ...cmd], { KUBELAB_PERSIST: '0', NODE_OPTIONS: `--require ${hook}` });
    assert.equal(direct.code, 0, direct.stderr);
    assert.match(direct.stderr, /ssh2 modules: [1-9]/);
    assert.equal(daemonPid('reuse'), undefined);
    const d1 = srcPorts(await execJson(file, cmd, { KUBELAB_PERSIST: '0' }));
    const d2 = srcPorts(await execJson(file, cmd, { KUBELAB_PERSIST: '0' }));
    assert.notDeepEqual(d1, first);
    assert.notDeepEqual(d2, d1);

    const bad = await kubelab(['exec', '-i', file, '--', 'true'], { KUBELAB_PERSIST: 'soon' });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /KUBELAB_PERSIST=soon: expected seconds/);
  });

  test('KUBELAB_PERSIST=0 never starts a daemon', async () => {
    const file = inventory('nomux');
    const r = await execJson(file, ['true'], { KUBELAB_PERSIST: '0' });
    assert.equal(r.get('master')?.code, 0);
    assert.ok(!existsSync(muxSocketPath(stateOf('nomux'))));
    assert.ok(!existsSync(join(stateOf('nomux'), 'mux.log')));
    assert.doesNotMatch(lastLog('nomux', 'master'), /mux/);
  });

  test('the daemon exits after KUBELAB_PERSIST seconds without clients, and removes its socket', async () => {
    const file = inventory('idle');
    const r = await execJson(file, ['true'], { KUBELAB_PERSIST: '2' });
    assert.equal(r.get('master')?.code, 0);
    const pid = daemonPid('idle')!;
    assert.ok(pid && alive(pid));
    const gone = await waitGone(pid, 30_000);
    assert.ok(gone >= 1000, `exited after ${gone} ms, expected about 2 s`);
    assert.ok(!existsSync(muxSocketPath(stateOf('idle'))));
    assert.match(readFileSync(join(stateOf('idle'), 'mux.log'), 'utf8'), /exit: idle for 2s/);
  });

  test('errors through the daemon keep kind, message and hint (unreachable, auth)', async () => {
    const [closed] = await freePorts(1);
    const file = inventory('errors', {
      nodes: [
        { name: 'gone', role: 'control-plane', address: '192.168.56.10', ssh: { host: '127.0.0.1', port: closed } },
        { name: 'denied', role: 'worker', address: '192.168.56.11', ssh: { host: '127.0.0.1', port: sshd.port, identityFile: otherKey } },
      ],
    });
    const mux = await session(file, {});
    const direct = await session(file, { KUBELAB_PERSIST: '0' });
    for (const [name, kind] of [['gone', 'unreachable'], ['denied', 'auth']] as const) {
      const node = mux.nodes.find((n) => n.name === name)!;
      const [a, b] = await Promise.allSettled([mux.transports.get(node).exec(['true']), direct.transports.get(node).exec(['true'])]);
      assert.equal(a.status, 'rejected');
      assert.equal(b.status, 'rejected');
      const ea = (a as PromiseRejectedResult).reason as TransportError;
      const eb = (b as PromiseRejectedResult).reason as TransportError;
      assert.ok(ea instanceof TransportError, String(ea));
      assert.equal(ea.kind, kind);
      assert.deepEqual({ kind: ea.kind, host: ea.host, message: ea.message, hint: ea.hint }, { kind: eb.kind, host: eb.host, message: eb.message, hint: eb.hint });
      assert.ok(ea.hint);
    }
    await mux.close();
    assert.match(readFileSync(join(mux.logs.dir, 'gone.log'), 'utf8'), /^# ssh through the connection keeper/m);
    // and the CLI reports it as unreachable
    const out = await kubelab(['exec', '-i', file, '--output', 'plain', '--', 'true']);
    assert.equal(out.code, 1);
    assert.match(out.stdout, /^gone UNREACHABLE: cannot reach 127\.0\.0\.1:\d+/m);
    assert.match(out.stdout, /^denied FAILED: SSH authentication failed/m);
  });

  test('secrets never reach the daemon\'s command line, environment, its log or the run logs', async () => {
    const keyed = await startSshd({ encryptedClientKey: true });
    try {
      const file = inventory('secrets', {
        ssh: { identityFile: keyed.encryptedClientKey, passphraseEnv: 'MUX_PASS', sudoPasswordEnv: 'MUX_SUDO' },
        nodes: [{ name: 'master', role: 'control-plane', address: '192.168.56.10', ssh: { host: '127.0.0.1', port: keyed.port } }],
      });
      const sudo = `sudo-${randomBytes(6).toString('hex')}`;
      const env = { MUX_PASS: keyed.passphrase!, MUX_SUDO: sudo };
      const secrets = [keyed.passphrase!, sudo];
      const r = await kubelab(['exec', '-i', file, '--output', 'plain', '--', 'printf', '%s %s\\n', ...secrets], env);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const pid = daemonPid('secrets')!;
      assert.ok(pid && alive(pid));
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      assert.match(cmdline, /mux-daemon\.js/);
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      assert.doesNotMatch(environ, /MUX_PASS|MUX_SUDO/);
      const state = stateOf('secrets');
      const files = [join(state, 'mux.log')];
      for (const run of readdirSync(join(state, 'logs'))) for (const f of readdirSync(join(state, 'logs', run))) files.push(join(state, 'logs', run, f));
      for (const s of secrets) {
        assert.ok(!cmdline.includes(s) && !environ.includes(s), 'secret in the daemon argv/env');
        for (const f of files) assert.ok(!readFileSync(f, 'utf8').includes(s), `secret in ${f}`);
      }
      assert.match(lastLog('secrets', 'master'), /\$ printf '%s %s\\n' <redacted> <redacted>\nexit 0 in \d+ ms\nstdout:\n<redacted> <redacted>\n/);
    } finally {
      await stopMux(stateOf('secrets'));
      await keyed.stop();
    }
  });

  test('a changed inventory or changed credentials replace the daemon', async () => {
    const nodes = (port: number): object[] => [{ name: 'master', role: 'control-plane', address: '192.168.56.10', ssh: { host: '127.0.0.1', port } }];
    const file = inventory('swap', { nodes: nodes(sshd.ports[0]!) });
    assert.equal((await execJson(file, ['true'])).get('master')?.code, 0);
    const pid1 = daemonPid('swap')!;
    assert.equal((await execJson(file, ['true'])).get('master')?.code, 0);
    assert.equal(daemonPid('swap'), pid1, 'same settings: same daemon');

    inventory('swap', { nodes: nodes(sshd.ports[1]!) });
    const moved = await execJson(file, ['sh', '-c', 'echo $SSH_CONNECTION']);
    assert.equal(moved.get('master')?.stdout.trim().split(' ')[3], String(sshd.ports[1]));
    const pid2 = daemonPid('swap')!;
    assert.notEqual(pid2, pid1);
    await waitGone(pid1, 30_000);

    // a different secret is a different setting too
    inventory('swap', { nodes: nodes(sshd.ports[1]!), ssh: { sudoPasswordEnv: 'MUX_SUDO' } });
    assert.equal((await execJson(file, ['true'], { MUX_SUDO: 'one' })).get('master')?.code, 0);
    const pid3 = daemonPid('swap')!;
    assert.notEqual(pid3, pid2);
    assert.equal((await execJson(file, ['true'], { MUX_SUDO: 'one' })).get('master')?.code, 0);
    assert.equal(daemonPid('swap'), pid3);
    assert.equal((await execJson(file, ['true'], { MUX_SUDO: 'two' })).get('master')?.code, 0);
    assert.notEqual(daemonPid('swap'), pid3);
    await waitGone(pid3, 30_000);

    // --nodes with a subset of the daemon's nodes keeps it
    inventory('swap');
    assert.equal((await execJson(file, ['true'])).get('worker1')?.code, 0);
    const pid4 = daemonPid('swap')!;
    const r = await kubelab(['exec', '-i', file, '--nodes', 'worker1', '--output', 'json', '--', 'true']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(daemonPid('swap', 'worker1'), pid4);
  });

  test('when the daemon cannot start, commands connect directly and the host log says why', async () => {
    const file = inventory('broken');
    // something that is not a socket where the socket should be
    mkdirSync(muxSocketPath(stateOf('broken')), { recursive: true });
    const r = await execJson(file, ['echo', 'ok']);
    assert.equal(r.get('master')?.stdout, 'ok\n');
    assert.equal(r.get('worker1')?.stdout, 'ok\n');
    assert.match(lastLog('broken', 'master'), /^# mux: .*; connecting directly$/m);
    assert.equal(daemonPid('broken'), undefined);
  });

  test('a state dir too long for a unix socket gets a short private path under the temp dir', () => {
    const long = join(dir, 'x'.repeat(120), '.kubelab', 'c');
    const p = muxSocketPath(long);
    assert.ok(Buffer.byteLength(p) < 100, p);
    assert.ok(p.startsWith(join(tmpdir(), 'kubelab-')) && p.endsWith('mux.sock'), p);
    assert.equal(muxSocketPath(long), p, 'stable');
    assert.notEqual(muxSocketPath(`${long}2`), p);
    assert.equal(muxSocketPath(join(dir, '.kubelab', 'c')), join(dir, '.kubelab', 'c', 'mux.sock'));
  });
});
