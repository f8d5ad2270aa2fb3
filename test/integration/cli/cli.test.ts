/**
 * The real CLI (dist/scripts/kubelab.js as a child process) against real sshd daemons on 127.0.0.1:
 * exec output and exit codes, an unreachable node counted apart, bad inventories refused before any
 * connection, sudo passwords kept out of output and logs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { kubelab } from '../../support/cli.js';
import { ensureTestUsers, freePorts, removeTestUsers, sshdSkipReason, startSshd, sudoSkipReason, type Sshd } from '../../support/sshd.js';

function inventory(nodes: object[], ssh: object): string {
  return stringify({
    apiVersion: 'kubelab/v1',
    kind: 'Cluster',
    metadata: { name: 'clitest' },
    spec: { kubernetes: { version: '1.35' }, network: { nodeCidr: '192.168.56.0/24' }, ssh: { agent: false, ...ssh }, nodes },
  });
}

const skip = sshdSkipReason();

describe('kubelab CLI against real sshd', { skip }, () => {
  let sshd: Sshd;
  let dir: string;
  before(async () => {
    sshd = await startSshd({ ports: 2 });
    dir = mkdtempSync(join(tmpdir(), 'kubelab-cli-'));
  });
  after(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exec runs argv on every node; json lines end with the summary; per-host logs are written', async () => {
    writeFileSync(
      join(dir, 'two.yaml'),
      inventory(
        [
          { name: 'master', role: 'control-plane', address: '192.168.56.10', ssh: { host: '127.0.0.1', port: sshd.ports[0] } },
          { name: 'worker1', role: 'worker', address: '192.168.56.11', ssh: { host: '127.0.0.1', port: sshd.ports[1] } },
        ],
        { user: 'root', identityFile: sshd.clientKey },
      ),
    );
    const r = await kubelab(['exec', '-i', 'two.yaml', '--output', 'json', '--', 'printf', '%s|', 'a b', "it's"], dir);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const execs = lines.filter((l) => l.type === 'exec');
    assert.deepEqual(execs.map((e) => e.host).sort(), ['master', 'worker1']);
    for (const e of execs) assert.equal(e.stdout, "a b|it's|");
    assert.deepEqual(lines.at(-1), {
      type: 'summary', ok: 2, changed: 0, failed: 0, skipped: 0, unreachable: 0,
      hosts: {
        master: { ok: 1, changed: 0, failed: 0, skipped: 0, unreachable: false, reached: true },
        worker1: { ok: 1, changed: 0, failed: 0, skipped: 0, unreachable: false, reached: true },
      },
    });
    const logs = join(dir, '.kubelab', 'clitest', 'logs');
    const run = readdirSync(logs)[0]!;
    assert.match(readFileSync(join(logs, run, 'master.log'), 'utf8'), /printf '%s\|' 'a b' 'it'\\''s'\nexit 0 in \d+ ms/);
    // host keys were pinned on first use
    assert.match(readFileSync(join(dir, '.kubelab', 'clitest', 'known_hosts'), 'utf8'), /^\[127\.0\.0\.1\]:\d+ ssh-ed25519 /m);
  });

  it('a failing command and an unreachable node: exit 1, counted apart, plain output names both', async () => {
    const [closed] = await freePorts(1);
    writeFileSync(
      join(dir, 'bad.yaml'),
      inventory(
        [
          { name: 'master', role: 'control-plane', address: '192.168.56.10', ssh: { host: '127.0.0.1', port: sshd.ports[0] } },
          { name: 'gone', role: 'worker', address: '192.168.56.12', ssh: { host: '127.0.0.1', port: closed } },
        ],
        { user: 'root', identityFile: sshd.clientKey },
      ),
    );
    const r = await kubelab(['exec', '-i', 'bad.yaml', '--output', 'plain', '--', 'sh', '-c', 'echo oops >&2; exit 3'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^master exit 3 \(\d+ ms\)$/m);
    assert.match(r.stdout, /^master ! oops$/m);
    assert.match(r.stdout, /^gone UNREACHABLE: .*127\.0\.0\.1:\d+/m);
    assert.match(r.stdout, /0 ok, 1 failed, 1 unreachable/);
  });

  it('a bad inventory is refused with every problem and its line, before any connection', async () => {
    writeFileSync(
      join(dir, 'invalid.yaml'),
      `apiVersion: kubelab/v1
kind: Cluster
metadata: { name: clitest }
spec:
  kubernetes: { version: "1.35" }
  network: { nodeCidr: 192.168.56.0/24 }
  nodes:
    - { name: master, role: control-plane, address: 10.0.2.15 }
    - { name: worker1, role: worker, adress: 192.168.56.11 }
`,
    );
    const runs = (): number => readdirSync(join(dir, '.kubelab', 'clitest', 'logs')).length;
    const before = runs();
    const r = await kubelab(['plan', '-i', 'invalid.yaml'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid\.yaml:8:\d+ spec\.nodes\[0\]\.address: "10\.0\.2\.15" is the VirtualBox NAT address/);
    assert.match(r.stderr, /invalid\.yaml:9:\d+ spec\.nodes\[1\]\.adress: unknown key "adress"/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(runs(), before, 'a refused inventory starts no run (no log folder)');
  });

  it('unknown options and phases are usage errors (exit 2), --help lists only working commands', async () => {
    const only = await kubelab(['up', '-i', 'two.yaml', '--only', 'os,bogus'], dir);
    assert.equal(only.code, 2);
    assert.match(only.stderr, /--only: unknown phase bogus \(phases: os, runtime/);
    const help = await kubelab(['--help'], dir);
    assert.equal(help.code, 0);
    for (const c of ['plan', 'up', 'exec', 'vm up|down|status', 'render --out DIR', 'check', 'kubeconfig']) {
      assert.match(help.stdout, new RegExp(`^  ${c.replace(/\|/g, '\\|')} `, 'm'));
    }
  });

  it('a node that accepts TCP but never speaks SSH: unreachable after spec.ssh.connectTimeout, or --connect-timeout, said so', async () => {
    const sockets: net.Socket[] = [];
    let accepted = 0;
    const silent = net.createServer((sock) => {
      accepted++;
      sockets.push(sock);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      writeFileSync(
        join(dir, 'silent.yaml'),
        inventory([{ name: 'mute', role: 'control-plane', address: '192.168.56.10', ssh: { host: '127.0.0.1', port } }], {
          user: 'root',
          identityFile: sshd.clientKey,
          connectTimeout: 2,
        }),
      );
      const r = await kubelab(['exec', '-i', 'silent.yaml', '--', 'true'], dir);
      assert.equal(r.code, 1);
      // before: four attempts of 10 s + 1 s each (44 s), whatever the inventory or --timeout said
      assert.equal(accepted, 1, 'one attempt: the deadline covers the retries');
      assert.match(r.stdout, new RegExp(`mute UNREACHABLE: cannot reach 127\\.0\\.0\\.1:${port}: no SSH answer within 2 s \\(connect timeout\\)`));
      const flag = await kubelab(['exec', '-i', 'silent.yaml', '--connect-timeout', '1', '--', 'true'], dir);
      assert.equal(accepted, 2);
      assert.match(flag.stdout, /no SSH answer within 1 s \(connect timeout\)/);
    } finally {
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('sudo password from the environment reaches sudo, never the output or the logs', async (t) => {
    const why = await sudoSkipReason();
    if (why) return t.skip(why);
    const users = await ensureTestUsers();
    try {
      writeFileSync(
        join(dir, 'sudo.yaml'),
        inventory([{ name: 'master', role: 'control-plane', address: '192.168.56.10', ssh: { host: '127.0.0.1', port: sshd.ports[0] } }], {
          user: users.withPassword.user,
          identityFile: sshd.clientKey,
          sudoPasswordEnv: 'LAB_SUDO_PW',
        }),
      );
      const r = await kubelab(['exec', '-i', 'sudo.yaml', '--output', 'json', '--', 'id', '-u'], join(dir), { LAB_SUDO_PW: users.withPassword.password });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(JSON.parse(r.stdout.split('\n')[0]!).stdout, '0\n');
      const logs = join(dir, '.kubelab', 'clitest', 'logs');
      for (const run of readdirSync(logs)) {
        for (const f of readdirSync(join(logs, run))) assert.ok(!readFileSync(join(logs, run, f), 'utf8').includes(users.withPassword.password));
      }
      assert.ok(!r.stdout.includes(users.withPassword.password) && !r.stderr.includes(users.withPassword.password));
      const missing = await kubelab(['exec', '-i', 'sudo.yaml', '--', 'true'], dir, { LAB_SUDO_PW: undefined });
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /sudoPasswordEnv: environment variable LAB_SUDO_PW is not set/);
    } finally {
      await removeTestUsers();
    }
  });
});

describe('kubelab option values', () => {
  it('bad values of --timeout, --connect-timeout, --nodes and malformed options are kubelab usage errors (exit 2)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'kubelab-options-'));
    try {
      const cases: [string[], RegExp][] = [
        [['exec', '--timeout', '1e9', '--', 'true'], /^kubelab: --timeout 1e9: too long, at most 2147483 seconds/],
        [['exec', '--timeout', '-1', '--', 'true'], /^kubelab: --timeout -1: expected seconds \(a number > 0\)/],
        [['exec', '--timeout', '--', 'true'], /^kubelab: --timeout needs a value/],
        [['exec', '--timeout', 'soon', '--', 'true'], /^kubelab: --timeout soon: expected seconds/],
        [['exec', '--nodes', '', '--', 'true'], /^kubelab: --nodes "": expected names separated by commas/],
        [['exec', '--nodes', 'n1,n1', '--', 'true'], /^kubelab: --nodes n1,n1: n1 named more than once/],
        [['exec', '--nodes', 'n1,,n2', '--', 'true'], /^kubelab: --nodes n1,,n2: an empty name between commas/],
        [['plan', '--only', ''], /^kubelab: --only "": expected names/],
        [['plan', '--connect-timeout', '0'], /^kubelab: --connect-timeout 0: expected seconds/],
        [['plan', '--connect-timeout', '700'], /^kubelab: --connect-timeout 700: expected 1 to 600 seconds, as spec\.ssh\.connectTimeout/],
        [['plan', '--connect-timeout', '0.5'], /^kubelab: --connect-timeout 0\.5: expected 1 to 600 seconds/],
        [['plan', '-i'], /^kubelab: --inventory needs a value/],
        [['plan', '--offline=yes'], /^kubelab: --offline takes no value/],
        [['exec', '--bogus', '--', 'true'], /^kubelab: unknown option --bogus/],
      ];
      for (const [args, expected] of cases) {
        const r = await kubelab(args, cwd);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, expected, args.join(' '));
        assert.doesNotMatch(r.stderr, /Option '|internal error|ERR_/, args.join(' '));
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
