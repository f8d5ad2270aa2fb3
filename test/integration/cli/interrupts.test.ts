/**
 * Interrupts and the terminal, with the real CLI (dist/scripts/kubelab.js) against a real sshd on 127.0.0.1 (so
 * the "remote" processes are visible to pgrep here), in a real pty (util-linux `script`) where the terminal
 * matters: Ctrl-C / SIGTERM stop a run (remote command killed, host log says so, recap printed, exit 130/143),
 * also through the connection keeper; Ctrl-C works while a spinner shows; a 0-column pty does not hang the
 * spinner; remote escape sequences are shown escaped while the host log keeps the raw bytes.
 * The deadlines are generous (minutes): on a starved machine (nice 19 beside busy VMs) a CLI run took over 90 s.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stopMux } from '../../../scripts/transport/mux-client.js';
import { sshInventoryYaml } from '../../support/inventory.js';
import { sshdSkipReason, startSshd, type Sshd } from '../../support/sshd.js';

const CLI = resolve('dist/scripts/kubelab.js');
const skip = sshdSkipReason() ?? (spawnSync('script', ['--version']).status === 0 ? undefined : 'util-linux script not found');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running CLI (or `script` around it): its output so far, and its end. */
interface Started {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  done: Promise<Run>;
}

function start(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Started {
  const child = spawn(cmd, args, { cwd, env: { ...process.env, SSH_AUTH_SOCK: '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Run>((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
  return { child, out: () => stdout, err: () => stderr, done };
}

/** The CLI in a pty of its own: `script -qec CMD /dev/null`, CMD run by sh (so `stty ...; exec node ...`). */
function inPty(shell: string, cwd: string, env: NodeJS.ProcessEnv): Started {
  return start('script', ['-qec', shell, '/dev/null'], cwd, env);
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) assert.fail(`not seen within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A run's end, or a failure (and the run killed) when it does not end within ms. */
async function ended(s: Started, ms: number): Promise<Run> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      s.child.kill('SIGKILL');
      reject(new Error(`still running after ${ms} ms; output so far: ${JSON.stringify(s.out().slice(-400))}`));
    }, ms);
  });
  try {
    return await Promise.race([s.done, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether a process whose command line starts with `cmdline` runs on this machine (= on the test's sshd). */
function running(cmdline: string): boolean {
  return spawnSync('pgrep', ['-f', `^${cmdline.replace(/\./g, '\\.')}$`]).status === 0;
}

/** A unique remote command that runs long enough (5 minutes) never to end by itself during a test. */
const marker = (): string => `sleep 3${Math.floor(Math.random() * 10)}0.${randomBytes(3).readUIntBE(0, 3)}`;

describe('interrupts and the terminal (real CLI, real sshd, real pty)', { skip }, () => {
  let sshd: Sshd;
  let silent: net.Server;
  const held = new Set<net.Socket>();
  let dir: string;

  const inventory = (cluster: string, port: number): string => {
    const node = { name: 'master', role: 'control-plane', address: '192.168.56.10', ssh: { host: '127.0.0.1', port } };
    writeFileSync(join(dir, `${cluster}.yaml`), sshInventoryYaml(cluster, { user: 'root', identityFile: sshd.clientKey }, [node]));
    return `${cluster}.yaml`;
  };
  const hostLog = (cluster: string): string => {
    const logs = join(dir, '.kubelab', cluster, 'logs');
    return readFileSync(join(logs, readdirSync(logs).sort().at(-1)!, 'master.log'), 'utf8');
  };

  before(async () => {
    sshd = await startSshd();
    // accepts TCP and never speaks SSH: a connect that hangs (the spinner shows meanwhile)
    silent = net.createServer((sock) => {
      held.add(sock);
      sock.on('close', () => held.delete(sock));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    dir = mkdtempSync(join(tmpdir(), 'kubelab-interrupts-'));
  });
  after(async () => {
    for (const cluster of ['intrmux', 'intrmux2']) await stopMux(join(dir, '.kubelab', cluster));
    await sshd?.stop();
    for (const sock of held) sock.destroy();
    await new Promise((r) => silent?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  /** exec -- sleep N.NNN, interrupted by `signal` once the sleep runs on the node. */
  const interruptExec = async (cluster: string, env: NodeJS.ProcessEnv, signal: NodeJS.Signals): Promise<{ run: Run; sleep: string }> => {
    const sleep = marker();
    const s = start(process.execPath, [CLI, 'exec', '-i', inventory(cluster, sshd.port), '--output', 'plain', '--', ...sleep.split(' ')], dir, env);
    await until(`${sleep} running on the node`, () => running(sleep), 300_000).catch((err: Error) => {
      throw new Error(`${err.message}; the run said: ${s.out()}${s.err()}`);
    });
    s.child.kill(signal);
    const run = await ended(s, 300_000);
    // the remote process group is signalled before the CLI exits; give the kill a moment to land
    await until(`${sleep} gone from the node`, () => !running(sleep), 120_000).catch(() => undefined);
    return { run, sleep };
  };

  it('Ctrl-C during exec: the remote command is killed, the host log says interrupted, the recap is printed, exit 130', async () => {
    const { run, sleep } = await interruptExec('intr', { KUBELAB_PERSIST: '0' }, 'SIGINT');
    assert.equal(run.code, 130, run.stdout + run.stderr);
    assert.equal(running(sleep), false, `${sleep} still runs on the node`);
    assert.match(run.stdout, new RegExp(`^master INTERRUPTED: command interrupted \\(SIGINT\\) on master: ${sleep}$`, 'm'));
    assert.match(run.stdout, /^0 ok, 1 failed, 0 unreachable; interrupted \(SIGINT\)$/m);
    assert.match(run.stderr, /SIGINT: stopping/);
    const log = hostLog('intr');
    assert.match(log, new RegExp(`\\$ ${sleep}\\nexit -1 in \\d+ ms`));
    assert.match(log, /^# .* interrupted \(SIGINT\): the run stopped here$/m);
  });

  it('SIGTERM during exec: the same, exit 143', async () => {
    const { run, sleep } = await interruptExec('intrterm', { KUBELAB_PERSIST: '0' }, 'SIGTERM');
    assert.equal(run.code, 143, run.stdout + run.stderr);
    assert.equal(running(sleep), false, `${sleep} still runs on the node`);
    assert.match(hostLog('intrterm'), /interrupted \(SIGTERM\): the run stopped here/);
  });

  it('Ctrl-C during exec through the connection keeper: the daemon kills the remote command', async () => {
    const { run, sleep } = await interruptExec('intrmux', { KUBELAB_PERSIST: '30' }, 'SIGINT');
    assert.equal(run.code, 130, run.stdout + run.stderr);
    assert.equal(running(sleep), false, `${sleep} still runs on the node`);
    const log = hostLog('intrmux');
    assert.match(log, /through the connection keeper/, 'the run used the daemon');
    assert.match(log, /interrupted \(SIGINT\): the run stopped here/);
    assert.match(run.stdout, /^master INTERRUPTED: command interrupted \(SIGINT\)/m);
  });

  it('a second Ctrl-C exits at once; the connection keeper still kills the command of the run that went away', async () => {
    const sleep = marker();
    const s = start(process.execPath, [CLI, 'exec', '-i', inventory('intrmux2', sshd.port), '--', ...sleep.split(' ')], dir, { KUBELAB_PERSIST: '30' });
    await until(`${sleep} running on the node`, () => running(sleep), 300_000);
    const daemon = Number(/mux daemon pid (\d+)/.exec(hostLog('intrmux2'))?.[1]);
    assert.ok(daemon > 0, 'the run used the daemon');
    // a daemon that does not answer: the first Ctrl-C cannot finish the run
    process.kill(daemon, 'SIGSTOP');
    try {
      s.child.kill('SIGINT');
      await until('the first interrupt handled', () => /SIGINT: stopping/.test(s.err()), 120_000);
      s.child.kill('SIGINT');
      const run = await ended(s, 120_000);
      assert.equal(run.code, 130, run.stdout + run.stderr);
      assert.match(run.stderr, /SIGINT again: exiting now/);
    } finally {
      process.kill(daemon, 'SIGCONT');
    }
    await until(`${sleep} gone from the node`, () => !running(sleep), 120_000);
  });

  // plan and up show the phase's spinner while the host never answers; check shows nothing until it has reached the
  // control plane: each must stop at Ctrl-C, not at the connect timeout (60 s here), and end with its recap or summary
  const ttyRuns: [string, string[], string | undefined, RegExp[]][] = [
    ['plan', ['--only', 'os', '--offline'], 'Prepare the OS', [/^HOST +OK +CHANGED +FAILED +SKIPPED +REACHED\r?$/m, /^master( +0){3} +\d+ +-\r?$/m, /^interrupted \(SIGINT\): the steps after it were not started\r?$/m]],
    ['up', ['--only', 'os', '--offline'], 'Prepare the OS', [/^HOST +OK +CHANGED +FAILED +SKIPPED +REACHED\r?$/m, /^master( +0){3} +\d+ +-\r?$/m, /^interrupted \(SIGINT\): the steps after it were not started\r?$/m]],
    ['check', [], undefined, [/^checks: 0 passed, 0 failed, 0 skipped \(none ran: .*interrupted \(SIGINT\)/m]],
  ];
  for (const [command, args, spinner, recap] of ttyRuns) {
    it(`Ctrl-C in a terminal while ${command} waits for a silent host stops it at once (${spinner ? 'spinner showing; ' : ''}recap printed, exit 130)`, async () => {
      // a sized pty, so that only Ctrl-C is under test here; the host never answers (connect timeout 60 s)
      const cmd = `stty cols 100 rows 40; exec ${q(process.execPath)} ${q(CLI)} ${command} -i ${inventory(`intrtty${command}`, (silent.address() as net.AddressInfo).port)} --connect-timeout 60 ${args.join(' ')}`;
      const s = inPty(cmd, dir, { KUBELAB_PERSIST: '0' });
      // check prints nothing before it connects: its start is seen on the silent host (the connection held there)
      const before = held.size;
      await until(spinner ? 'the spinner' : 'the connection to the silent host', () => (spinner ? s.out().includes(spinner) : held.size > before), 300_000);
      await new Promise((r) => setTimeout(r, 500));
      const sent = Date.now();
      s.child.stdin!.write('\u0003');
      const run = await ended(s, 300_000);
      assert.equal(run.code, 130, run.stdout.slice(-1000));
      for (const line of recap) assert.match(run.stdout, line, run.stdout.slice(-1000));
      // the connect timeout is 60 s: an interrupt that waited for it would show here (a generous bound for a busy machine)
      assert.ok(Date.now() - sent < 45_000, `${command} ended ${Date.now() - sent} ms after Ctrl-C`);
    });
  }

  it('a 0-column terminal: plan ends, with a bounded output and its recap', async () => {
    // script's pty has the size of its stdin, which is not a terminal here: 0 columns
    const cmd = `exec ${q(process.execPath)} ${q(CLI)} plan -i ${inventory('intrcols', sshd.port)} --only os --offline`;
    const s = inPty(cmd, dir, { KUBELAB_PERSIST: '0' });
    s.child.stdin!.end();
    const run = await ended(s, 600_000);
    assert.ok(run.code === 0 || run.code === 1, `exit ${run.code}: ${run.stdout.slice(-400)}`);
    assert.ok(run.stdout.length < 200_000, `${run.stdout.length} bytes of output`);
    assert.match(run.stdout, /^HOST +OK +CHANGED +FAILED +SKIPPED +REACHED\r?$/m);
  });

  it('remote escape sequences are shown escaped (plain output and in a terminal); the host log keeps the raw bytes', async () => {
    const script = `printf '\\033]0;pwned\\007\\033[2J\\033[31mred\\033[0m\\n'; printf 'err\\033[1A\\n' >&2`;
    const plain = await ended(start(process.execPath, [CLI, 'exec', '-i', inventory('intresc', sshd.port), '--output', 'plain', '--', 'sh', '-c', script], dir, { KUBELAB_PERSIST: '0' }), 300_000);
    assert.equal(plain.code, 0, plain.stderr);
    assert.ok(!/[\u0007\u001b]/.test(plain.stdout), JSON.stringify(plain.stdout));
    assert.match(plain.stdout, /^master \| \\x1b\]0;pwned\\x07\\x1b\[2J\\x1b\[31mred\\x1b\[0m$/m);
    assert.match(plain.stdout, /^master ! err\\x1b\[1A$/m);
    assert.ok(hostLog('intresc').includes('\u001b]0;pwned\u0007\u001b[2J\u001b[31mred'), 'raw bytes in the host log');

    const tty = await ended(inPty(`exec ${q(process.execPath)} ${q(CLI)} exec -i intresc.yaml -- sh -c ${q(script)}`, dir, { KUBELAB_PERSIST: '0' }), 300_000);
    assert.equal(tty.code, 0, tty.stdout.slice(-1000));
    assert.ok(!tty.stdout.includes('\u001b]0;pwned'), JSON.stringify(tty.stdout.slice(-1000)));
    assert.match(tty.stdout, /master \| \\x1b\]0;pwned\\x07/);
  });
});
