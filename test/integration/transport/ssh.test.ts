import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { SshTransport, type SshTransportOptions } from '../../../scripts/transport/ssh.js';
import { TransportError, type CommandRecord } from '../../../scripts/transport/types.js';
import {
  ensureTestUsers,
  removeTestUsers,
  sshdSkipReason,
  startSshd,
  startSshdFleet,
  sudoSkipReason,
  type Sshd,
  type TestUsers,
} from '../../support/sshd.js';

const skip = sshdSkipReason();
const sudoSkip = skip ?? (await sudoSkipReason());
if (sudoSkip && !skip) console.log(`# sudo tests skipped: ${sudoSkip}`);

const work = mkdtempSync(join(tmpdir(), 'kubelab-ssh-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

function isTransportError(kind: TransportError['kind']) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof TransportError, `expected TransportError, got ${String(err)}`);
    assert.equal(err.kind, kind, `${err.kind}: ${err.message}`);
    return true;
  };
}

function memoryLogger(): { records: CommandRecord[]; record(e: CommandRecord): void } {
  const records: CommandRecord[] = [];
  return { records, record: (e) => records.push(e) };
}

describe('SshTransport against a real sshd', { skip }, () => {
  let sshd: Sshd;
  let knownHostsFile: string;
  const open: SshTransport[] = [];
  const make = (extra: Partial<SshTransportOptions> = {}): SshTransport => {
    const t = new SshTransport({
      name: 'node1',
      host: '127.0.0.1',
      port: sshd.port,
      user: 'root',
      identityFile: sshd.clientKey,
      knownHostsFile,
      connectRetries: 0,
      ...extra,
    });
    open.push(t);
    return t;
  };

  before(async () => {
    sshd = await startSshd({ encryptedClientKey: true });
    knownHostsFile = join(work, 'cluster', 'known_hosts');
  });
  after(async () => {
    await Promise.all(open.map((t) => t.close()));
    await sshd?.stop();
  });

  test('exec returns stdout, stderr and exit codes; non-zero is not an exception', async () => {
    const t = make();
    const ok = await t.exec(['echo', 'hello']);
    assert.deepEqual({ stdout: ok.stdout, stderr: ok.stderr, code: ok.code }, { stdout: 'hello\n', stderr: '', code: 0 });
    assert.ok(ok.durationMs >= 0);
    const bad = await t.exec(['sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.deepEqual({ stdout: bad.stdout, stderr: bad.stderr, code: bad.code }, { stdout: 'out\n', stderr: 'err\n', code: 7 });
    const killed = await t.exec(['sh', '-c', 'kill -9 $$']);
    assert.equal(killed.code, 128 + 9);
    const stdin = await t.exec(['cat'], { stdin: 'from stdin\n' });
    assert.equal(stdin.stdout, 'from stdin\n');
    // the host key was pinned on first use, in OpenSSH format
    assert.match(readFileSync(knownHostsFile, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 `));
  });

  test('the known_hosts file is usable by the OpenSSH client', (tc) => {
    if (spawnSync('ssh', ['-V']).error) return tc.skip('ssh client not installed');
    const r = spawnSync('ssh', [
      '-o', `UserKnownHostsFile=${knownHostsFile}`,
      '-o', 'StrictHostKeyChecking=yes',
      '-o', 'BatchMode=yes',
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-i', sshd.clientKey,
      '-p', String(sshd.port),
      'root@127.0.0.1', 'true',
    ], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 0, r.stderr);
  });

  test('argv with nasty characters arrives intact', async () => {
    const t = make();
    const nasty = ['', ' ', "it's", '"q"', '$HOME $(id) `id`', '*', '~', 'a\nb\n', '\\', '; rm -rf / #', 'ünï 漢字 🚀', '-n'];
    const r = await t.exec(['printf', '%s\\0', ...nasty]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\0').slice(0, -1), nasty);
  });

  test('large output (20 MB): a bounded tail in memory, the whole output streamed (redacted) to the log folder', async () => {
    const logger = { ...memoryLogger(), spillDir: join(work, 'run-logs', 'outputs') };
    const t = make({ logger });
    const size = 20 * 1024 * 1024;
    const secret = `pw-${randomBytes(6).toString('hex')}`;
    // the secret in the middle of the output: somewhere a 32 KiB SSH packet boundary may split it
    const script = `head -c ${size} /dev/zero | tr '\\000' a; printf %s "$1"; head -c ${size} /dev/zero | tr '\\000' b; echo; echo last line; head -c 1000 /dev/zero | tr '\\000' e >&2`;
    const r = await t.exec(['sh', '-c', script, 'x', secret], { secrets: [secret] });
    assert.equal(r.code, 0);
    const total = 2 * size + secret.length + '\nlast line\n'.length;
    const kept = 8 * 1024 * 1024; // DEFAULT_MAX_OUTPUT_BYTES
    assert.equal(r.stdout.length, kept);
    assert.ok(r.stdout.endsWith('b\nlast line\n'));
    assert.equal(r.stdoutCut, total - kept);
    assert.equal(r.stderr.length, 1000);
    assert.equal(r.stderrCut, undefined);
    assert.equal(r.stderrFile, undefined);
    // the whole output, secret redacted, in a file named by its content; the log record names it
    assert.ok(r.stdoutFile?.startsWith(logger.spillDir), r.stdoutFile);
    const stored = readFileSync(r.stdoutFile!);
    assert.equal(stored.length, total - secret.length + '<redacted>'.length);
    assert.equal(stored.indexOf(secret), -1);
    assert.equal(stored.subarray(size, size + 10).toString(), '<redacted>');
    const rec = logger.records.at(-1)!;
    assert.equal(rec.stdoutFile, r.stdoutFile);
    assert.equal(rec.stdout, '');
    assert.equal(rec.stderr.length, 1000);
    // a smaller bound (what `kubelab exec` shows) keeps less
    const small = await t.exec(['sh', '-c', `head -c ${size} /dev/zero | tr '\\000' c`], { maxOutputBytes: 1000 });
    assert.equal(small.stdout, 'c'.repeat(1000));
    assert.equal(small.stdoutCut, size - 1000);
    assert.equal(readFileSync(small.stdoutFile!).length, size);
  });

  test('timeout throws TransportError(timeout), kills the command, connection stays usable', async () => {
    const t = make();
    const logger = memoryLogger();
    const tl = make({ logger });
    const tag = `${30 + Math.floor(Math.random() * 1000) / 1000}`;
    await assert.rejects(tl.exec(['sleep', tag], { timeoutMs: 300 }), isTransportError('timeout'));
    assert.equal(logger.records.at(-1)?.code, -1);
    assert.equal((await tl.exec(['echo', 'still here'])).stdout, 'still here\n');
    // the remote process is gone (signal request honoured by sshd)
    await new Promise((r) => setTimeout(r, 300));
    const ps = await t.exec(['ps', '-eo', 'args']);
    assert.ok(!ps.stdout.split('\n').some((l) => l.trim() === `sleep ${tag}`), 'sleep still running');
  });

  test('20 concurrent execs share one connection (queued beyond 8 channels)', async () => {
    const t = make();
    // sshd refuses more than MaxSessions (10) channels per connection: 20 at once succeed only when queued
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.exec(['sh', '-c', `sleep 0.2; echo ${i} $SSH_CONNECTION`])),
    );
    const conns = new Set<string>();
    results.forEach((r, i) => {
      assert.equal(r.code, 0, r.stderr);
      const [n, ...conn] = r.stdout.trim().split(' ');
      assert.equal(n, String(i));
      conns.add(conn.join(' '));
    });
    assert.equal(conns.size, 1, 'all execs used the same connection');
  });

  test('put uploads atomically with mode, owner and group', async () => {
    const t = make();
    const dir = mkdtempSync(join(work, 'put-'));
    const dest = join(dir, 'sub', 'kubelet.conf');
    const content = Buffer.concat([Buffer.from("line 1\n'quoted' $x\n"), randomBytes(4096)]);
    await t.put(content, dest, { mode: 0o640, owner: 'nobody', group: 'nogroup' });
    assert.deepEqual(readFileSync(dest), content);
    const st = await t.exec(['stat', '-c', '%a %U %G', dest]);
    assert.equal(st.stdout.trim(), '640 nobody nogroup');
    await t.put('v2\n', dest, { mode: 0o600 });
    assert.equal(readFileSync(dest, 'utf8'), 'v2\n');
    assert.equal((await t.exec(['stat', '-c', '%a %U', dest])).stdout.trim(), '600 root');
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['kubelet.conf'], 'no staging files left');
    const leftovers = (await t.exec(['sh', '-c', 'ls -a /tmp | grep "^\\.kubelab-" || true'])).stdout.trim();
    assert.equal(leftovers, '', 'no temp files left in /tmp');
    await assert.rejects(t.put('x', join(dir, 'y'), { mode: 0o644, owner: 'no-such-user-kubelab' }), isTransportError('protocol'));
  });

  test('forward() reaches a TCP server through the tunnel', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    const echoPort = (echo.address() as net.AddressInfo).port;
    const t = make();
    const fwd = await t.forward('127.0.0.1', echoPort);
    try {
      const roundTrip = (msg: string): Promise<string> =>
        new Promise((resolve, reject) => {
          const c = net.connect(fwd.localPort, '127.0.0.1', () => c.end(msg));
          let got = '';
          c.setEncoding('utf8');
          c.on('data', (d: string) => (got += d));
          c.on('end', () => resolve(got));
          c.on('error', reject);
        });
      assert.equal(await roundTrip('ping through ssh'), 'ping through ssh');
      const many = await Promise.all(Array.from({ length: 5 }, (_, i) => roundTrip(`msg ${i}`)));
      assert.deepEqual(many, [0, 1, 2, 3, 4].map((i) => `msg ${i}`));
    } finally {
      await fwd.close();
      await new Promise<void>((r) => echo.close(() => r()));
    }
  });

  test('closed port -> unreachable, fast', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const t = make({ port, connectRetries: 2, connectRetryDelayMs: 20 });
    const started = Date.now();
    await assert.rejects(t.exec(['true']), (err: unknown) => {
      isTransportError('unreachable')(err);
      assert.match((err as Error).message, new RegExp(`cannot reach 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 60, `the retries waited their delays: ${elapsed}ms`);
  });

  test('a server that never speaks SSH -> unreachable once connectTimeoutMs is used up, retries included', async () => {
    let accepted = 0;
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => {
      accepted++;
      sockets.push(s);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      // retries allowed, but the one deadline is spent by the first attempt: no second one
      const t = make({ port, connectTimeoutMs: 700, connectRetries: 3, connectRetryDelayMs: 10 });
      const t0 = Date.now();
      await assert.rejects(t.connect(), (err: unknown) => {
        isTransportError('unreachable')(err);
        assert.match((err as Error).message, new RegExp(`cannot reach 127\\.0\\.0\\.1:${port}: no SSH answer within 0\\.7 s \\(connect timeout\\)`));
        return true;
      });
      assert.ok(Date.now() - t0 >= 650, 'waited for the deadline');
      assert.equal(accepted, 1, 'no retry past the deadline');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  test('wrong key -> auth (no retries), naming what was tried', async () => {
    const key = join(work, 'wrong_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    // a retry would first wait a minute: ending sooner shows there was none (no timing bound on the work itself)
    const t = make({ identityFile: key, connectRetries: 3, connectRetryDelayMs: 60_000 });
    const started = Date.now();
    await assert.rejects(t.connect(), (err: unknown) => {
      isTransportError('auth')(err);
      assert.ok((err as Error).message.includes(`key file ${key}`), (err as Error).message);
      return true;
    });
    assert.ok(Date.now() - started < 60_000, 'auth failures are not retried');
  });

  test('identity file problems -> auth with the path / passphraseEnv hint', async () => {
    const missing = join(work, 'no-such-key');
    await assert.rejects(make({ identityFile: missing }).connect(), (err: unknown) => {
      isTransportError('auth')(err);
      assert.ok((err as Error).message.includes(missing));
      return true;
    });
    await assert.rejects(make({ identityFile: sshd.encryptedClientKey! }).connect(), (err: unknown) => {
      isTransportError('auth')(err);
      assert.match((err as TransportError).hint ?? '', /passphraseEnv/);
      return true;
    });
    await assert.rejects(make({ identityFile: sshd.encryptedClientKey!, passphrase: 'wrong' }).connect(), isTransportError('auth'));
    const t = make({ identityFile: sshd.encryptedClientKey!, passphrase: sshd.passphrase! });
    assert.equal((await t.exec(['id', '-u'])).stdout, '0\n');
  });

  test('close() then exec reconnects lazily', async () => {
    const t = make();
    assert.equal((await t.exec(['echo', '1'])).stdout, '1\n');
    await t.close();
    assert.equal((await t.exec(['echo', '2'])).stdout, '2\n');
  });

  test('the command log records every command with secrets redacted', async () => {
    const logger = memoryLogger();
    const t = make({ logger });
    const token = `abcdef.${randomBytes(8).toString('hex')}`;
    await t.exec(['sh', '-c', 'echo "token is $1"; echo "$1" >&2', 'x', token], { secrets: [token] });
    assert.equal(logger.records.length, 1);
    const rec = logger.records[0]!;
    assert.equal(rec.host, 'node1');
    assert.equal(rec.code, 0);
    assert.ok(!JSON.stringify(rec).includes(token), JSON.stringify(rec));
    assert.ok(rec.stdout.includes('<redacted>'));
  });
});

describe('SshTransport exit codes of fast commands', { skip }, () => {
  test('every exit code arrives, even when the command ends before its channel is fully set up', async () => {
    // SHLVL=1 keeps bash from reading ~/.bashrc per session, so commands finish within microseconds
    const fast = await startSshd({ extraConfig: ['SetEnv SHLVL=1'] });
    const t = new SshTransport({
      name: 'fast',
      host: '127.0.0.1',
      port: fast.port,
      user: 'root',
      identityFile: fast.clientKey,
      knownHostsFile: join(work, 'fast', 'known_hosts'),
      connectRetries: 0,
    });
    try {
      const runs = await Promise.all(Array.from({ length: 60 }, (_, i) => t.exec(['sh', '-c', `exit ${i % 7}`])));
      assert.deepEqual(runs.map((r) => r.code), Array.from({ length: 60 }, (_, i) => i % 7));
    } finally {
      await t.close();
      await fast.stop();
    }
  });
});

describe('startSshdFleet', { skip }, () => {
  test('18 endpoints on 2 daemons, one transport each, sharing one known_hosts file', async () => {
    const fleet = await startSshdFleet(18);
    const knownHostsFile = join(work, 'fleet', 'known_hosts');
    const transports = fleet.endpoints.map(
      (e, i) =>
        new SshTransport({ name: `n${i}`, host: e.host, port: e.port, user: 'root', identityFile: fleet.clientKey, knownHostsFile }),
    );
    try {
      assert.equal(fleet.daemons.length, 2);
      assert.equal(new Set(fleet.ports).size, 18);
      const results = await Promise.all(transports.map((t) => t.exec(['sh', '-c', 'echo $SSH_CONNECTION'])));
      results.forEach((r, i) => assert.equal(r.stdout.trim().split(' ')[3], String(fleet.ports[i])));
      assert.equal(readFileSync(knownHostsFile, 'utf8').trim().split('\n').length, 18);
    } finally {
      await Promise.all(transports.map((t) => t.close()));
      await fleet.stop();
    }
  });
});

describe('SshTransport host key pinning', { skip }, () => {
  test('a changed host key is refused with kind hostkey and an ssh-keygen -R hint', async () => {
    const sshd = await startSshd();
    const knownHostsFile = join(work, 'hk', 'known_hosts');
    const opts: SshTransportOptions = {
      name: 'cp1',
      host: '127.0.0.1',
      port: sshd.port,
      user: 'root',
      identityFile: sshd.clientKey,
      knownHostsFile,
      connectRetries: 3,
      connectRetryDelayMs: 60_000, // a retry would first wait a minute
    };
    try {
      const first = new SshTransport(opts);
      await first.exec(['true']);
      await first.close();
      const oldPub = sshd.hostKeyPub;
      await sshd.restart({ newHostKey: true });
      assert.notEqual(sshd.hostKeyPub, oldPub);

      const second = new SshTransport(opts);
      const started = Date.now();
      let hint = '';
      await assert.rejects(second.exec(['true']), (err: unknown) => {
        isTransportError('hostkey')(err);
        const e = err as TransportError;
        assert.equal(e.host, 'cp1');
        assert.ok(e.message.includes(`127.0.0.1:${sshd.port}`), e.message);
        const fp = (pub: string): string =>
          execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', '-'], { input: pub, encoding: 'utf8' }).split(' ')[1]!;
        assert.ok(e.message.includes(fp(oldPub)), 'names the old fingerprint');
        assert.ok(e.message.includes(fp(sshd.hostKeyPub)), 'names the new fingerprint');
        assert.ok(e.hint?.includes(`ssh-keygen -R '[127.0.0.1]:${sshd.port}' -f ${knownHostsFile}`), e.hint);
        hint = e.hint!;
        return true;
      });
      assert.ok(Date.now() - started < 60_000, 'hostkey failures are not retried');
      await second.close();

      // the hint really works: forget the key, and the next connection trusts the new one
      execFileSync('sh', ['-c', hint.slice(hint.indexOf('ssh-keygen -R'))], { stdio: 'ignore' });
      const third = new SshTransport(opts);
      assert.equal((await third.exec(['echo', 'ok'])).stdout, 'ok\n');
      await third.close();
    } finally {
      await sshd.stop();
    }
  });
});

describe('SshTransport as a non-root user with sudo', { skip: sudoSkip }, () => {
  let sshd: Sshd;
  let users: TestUsers;
  const open: SshTransport[] = [];
  const make = (extra: Partial<SshTransportOptions> & { user: string }): SshTransport => {
    const t = new SshTransport({
      name: 'worker1',
      host: '127.0.0.1',
      port: sshd.port,
      identityFile: sshd.clientKey,
      knownHostsFile: join(work, 'sudo', 'known_hosts'),
      connectRetries: 0,
      ...extra,
    });
    open.push(t);
    return t;
  };

  before(async () => {
    [sshd, users] = await Promise.all([startSshd(), ensureTestUsers()]);
  });
  after(async () => {
    await Promise.all(open.map((t) => t.close()));
    await sshd?.stop();
    await removeTestUsers();
  });

  test('NOPASSWD sudo: commands run as uid 0, asLoginUser does not', async () => {
    const t = make({ user: users.nopasswd });
    const r = await t.exec(['id', '-u']);
    assert.deepEqual({ stdout: r.stdout, stderr: r.stderr, code: r.code }, { stdout: '0\n', stderr: '', code: 0 });
    const me = await t.exec(['id', '-un'], { asLoginUser: true });
    assert.equal(me.stdout, `${users.nopasswd}\n`);
    const fail = await t.exec(['sh', '-c', 'echo e >&2; exit 4']);
    assert.deepEqual({ stderr: fail.stderr, code: fail.code }, { stderr: 'e\n', code: 4 });
    assert.equal((await t.exec(['cat'], { stdin: 'data\n' })).stdout, 'data\n');
    const dest = join(work, 'sudo-put.txt');
    await t.put('root file\n', dest, { mode: 0o640, owner: 'root' });
    assert.equal((await t.exec(['stat', '-c', '%a %U', dest])).stdout.trim(), '640 root');
  });

  test('sudo with a password via stdin; password never logged nor on a command line', async () => {
    const logger = memoryLogger();
    const { user, password } = users.withPassword;
    const t = make({ user, sudoPassword: password, logger });
    assert.equal((await t.exec(['id', '-u'])).stdout, '0\n');
    // stdin after the password reaches the command unchanged
    assert.equal((await t.exec(['cat'], { stdin: 'line1\nline2\n' })).stdout, 'line1\nline2\n');
    // while a sudo command runs, no process on this machine has the password in its args
    const running = t.exec(['sleep', '1']);
    await new Promise((r) => setTimeout(r, 500));
    const ps = spawnSync('ps', ['-eww', '-o', 'args'], { encoding: 'utf8' });
    assert.ok(ps.stdout.includes('sleep 1'), 'the sudo command was running');
    assert.ok(!ps.stdout.includes(password), 'password visible in process args');
    assert.equal((await running).code, 0);
    const logged = JSON.stringify(logger.records);
    assert.ok(logger.records.length >= 3);
    assert.ok(!logged.includes(password), 'password in command log');
  });

  test('a sudo password set for a NOPASSWD user never reaches the command stdin', async () => {
    const t = make({ user: users.nopasswd, sudoPassword: 'not-needed-pw' });
    assert.equal((await t.exec(['cat'], { stdin: 'only this\n' })).stdout, 'only this\n');
    assert.equal((await t.exec(['cat'])).stdout, '');
  });

  test('timeout through sudo kills the root command, connection stays usable', async () => {
    const t = make({ user: users.nopasswd });
    const tag = `${40 + Math.floor(Math.random() * 1000) / 1000}`;
    await assert.rejects(t.exec(['sleep', tag], { timeoutMs: 300 }), isTransportError('timeout'));
    await new Promise((r) => setTimeout(r, 300));
    const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    assert.ok(!ps.stdout.split('\n').some((l) => l.trim() === `sleep ${tag}`), 'sleep still running');
    assert.equal((await t.exec(['id', '-u'])).stdout, '0\n');
  });

  test('password authentication works', async () => {
    const { user, password } = users.withPassword;
    const t = make({ user, identityFile: undefined, password, sudoPassword: password });
    assert.equal((await t.exec(['id', '-un'], { asLoginUser: true })).stdout, `${user}\n`);
    const bad = make({ user, identityFile: undefined, password: 'wrong' });
    await assert.rejects(bad.connect(), (err: unknown) => {
      isTransportError('auth')(err);
      assert.match((err as Error).message, /password/);
      return true;
    });
  });

  test('sudo that needs a password -> TransportError(sudo) with hints', async () => {
    const { user, password } = users.withPassword;
    await assert.rejects(make({ user }).exec(['id', '-u']), (err: unknown) => {
      isTransportError('sudo')(err);
      assert.match((err as TransportError).hint ?? '', /sudoPasswordEnv/);
      assert.match((err as TransportError).hint ?? '', /NOPASSWD/);
      return true;
    });
    const logger = memoryLogger();
    await assert.rejects(
      make({ user, sudoPassword: `${password}-wrong`, logger }).exec(['cat'], { stdin: 'secret stdin' }),
      (err: unknown) => {
        isTransportError('sudo')(err);
        assert.match((err as Error).message, /rejected the password/);
        return true;
      },
    );
    assert.ok(!JSON.stringify(logger.records).includes(password));
  });
});
