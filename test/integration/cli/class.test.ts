/**
 * `kubelab class` (the real CLI as a child process) over a class of labs whose nodes are real sshd endpoints on
 * 127.0.0.1: ports derived per seat reach the right endpoint, one student's dead node leaves the others green, the
 * exit code counts the labs not green, the report, the status record and rendered inventories.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { parseInventory } from '../../../scripts/inventory/load.js';
import { kubelab } from '../../support/cli.js';
import { freePorts, sshdSkipReason, startSshd, type Sshd } from '../../support/sshd.js';

/** `n` consecutive free ports on 127.0.0.1 (a roster derives ports by seat: base + seat x step). */
async function consecutivePorts(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 40000);
    const servers: net.Server[] = [];
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      const s = net.createServer();
      ok = await new Promise<boolean>((res) => {
        s.once('error', () => res(false));
        s.listen(base + i, '127.0.0.1', () => res(true));
      });
      if (ok) servers.push(s);
    }
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    if (ok) return base;
  }
  throw new Error('no consecutive free ports');
}

const skip = sshdSkipReason();

/** Chromium from Debian, run headless in a network namespace of its own (no traffic leaves it: only file://). */
const CHROMIUM = '/usr/bin/chromium';
function browserSkipReason(): string | undefined {
  if (spawnSync(CHROMIUM, ['--version']).status !== 0) return 'needs chromium (apt-get install chromium; .ci/run installs it)';
  if (spawnSync('unshare', ['--net', 'true']).status !== 0) return 'needs unshare --net (root) to keep the browser off the network';
  return undefined;
}
function chromium(args: string[], profile: string): string {
  return execFileSync('unshare', ['--net', CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    timeout: 60_000,
  });
}
/** A PNG's width and height (its IHDR chunk). */
function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  assert.equal(b.subarray(1, 4).toString('latin1'), 'PNG', `${file} is a PNG`);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('kubelab class against real sshd', { skip }, () => {
  let sshd: Sshd;
  let dir: string;
  let base: number;
  let closed: number;
  before(async () => {
    base = await consecutivePorts(6);
    sshd = await startSshd({ fixedPorts: [base, base + 1, base + 2, base + 3, base + 4, base + 5] });
    closed = (await freePorts(1))[0]!;
    dir = mkdtempSync(join(tmpdir(), 'kubelab-class-'));
    writeFileSync(
      join(dir, 'room.yaml'),
      `apiVersion: kubelab/v1
kind: Classroom
metadata: { name: k101 }
spec:
  template:
    kubernetes: { version: "1.35" }
    network: { nodeCidr: 192.168.56.0/24 }
    ssh: { user: root, identityFile: ${sshd.clientKey}, agent: false }
  nodes:
    - { name: master, role: control-plane, address: 192.168.56.10, ssh: { port: ${base} } }
    - { name: worker1, role: worker, address: 192.168.56.11, ssh: { port: ${base + 1} } }
  derive: { portStep: 2 }
  limits: { clusters: 2, connections: 4 }
  students:
    - { name: alice, sshHost: 127.0.0.1 }
    - { name: bob, sshHost: 127.0.0.1 }
    - { name: carol, sshHost: 127.0.0.1 }
    - name: dave
      sshHost: 127.0.0.1
      nodes:
        - { name: master, role: control-plane, address: 192.168.56.10, ssh: { port: ${base} } }
        - { name: worker1, role: worker, address: 192.168.56.11, ssh: { port: ${closed} } }
`,
    );
  });
  after(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("exec: each student's nodes reached on their derived ports; a dead node makes only that lab not green; exit = labs not green", async () => {
    const r = await kubelab(['class', 'exec', '-f', 'room.yaml', '-o', 'json', '--', 'sh', '-c', 'echo "$SSH_CONNECTION"'], dir);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const port = (student: string, host: string): number => {
      const e = lines.find((l) => l.student === student && l.type === 'exec' && l.host === host);
      assert.ok(e, `${student}/${host}: ${r.stdout}`);
      return Number(String(e.stdout).trim().split(' ')[3]);
    };
    assert.deepEqual(
      ['alice', 'bob', 'carol'].map((s) => [port(s, 'master'), port(s, 'worker1')]),
      [
        [base, base + 1],
        [base + 2, base + 3],
        [base + 4, base + 5],
      ],
    );
    assert.equal(port('dave', 'master'), base);
    const dave = lines.find((l) => l.type === 'student-end' && l.student === 'dave');
    assert.equal(dave.state, 'not green');
    assert.match(dave.failures.join('\n'), /worker1/);
    const summary = lines.at(-1);
    assert.equal(summary.type, 'class-summary');
    assert.deepEqual([summary.students, summary.green, summary.notGreen], [4, 3, ['dave']]);
    // the report: one file, a row per student with its state
    const html = readFileSync(summary.report, 'utf8');
    for (const s of ['alice', 'bob', 'carol']) assert.match(html, new RegExp(`data-student="${s}" data-state="green"`));
    assert.match(html, /data-student="dave" data-state="not green"/);
    // each student's cluster has its own logs; the class run its own
    assert.ok(readdirSync(join(dir, '.kubelab', 'k101-alice', 'logs')).length >= 1);
    assert.ok(readdirSync(summary.logs).includes('dave.log'));
  });

  it('the report, loaded in a real headless browser: every row, its state and the failure are in the page; a screenshot is taken', { skip: browserSkipReason() }, async () => {
    const report = join(dir, '.kubelab', 'class', 'k101', 'report.html');
    const dom = chromium(['--dump-dom', `file://${report}`], join(dir, 'chromium'));
    const rows = [...dom.matchAll(/<tr class="([a-z-]+)" data-student="(\w+)" data-state="([a-z ]+)">/g)].map((m) => `${m[2]}:${m[3]}`);
    assert.deepEqual(rows, ['alice:green', 'bob:green', 'carol:green', 'dave:not green']);
    assert.match(dom, /<td class="problem">worker1 unreachable: [^<]*127\.0\.0\.1:\d+/);
    assert.match(dom, /<p id="summary">3 of 4 labs green;/);
    const shot = join(dir, 'report.png');
    chromium([`--screenshot=${shot}`, '--window-size=1200,900', `file://${report}`], join(dir, 'chromium'));
    assert.deepEqual(pngSize(shot), { width: 1200, height: 900 });
    // a blank page of the same size compresses to far less than a page of tables and text
    const blank = join(dir, 'blank.html');
    writeFileSync(blank, '<!DOCTYPE html><html><body></body></html>');
    const blankShot = join(dir, 'blank.png');
    chromium([`--screenshot=${blankShot}`, '--window-size=1200,900', `file://${blank}`], join(dir, 'chromium'));
    assert.ok(statSync(shot).size > 4 * statSync(blankShot).size, `report screenshot ${statSync(shot).size} B vs blank ${statSync(blankShot).size} B`);
  });

  it('--students runs only those; status shows every student\'s last run without connecting', async () => {
    const r = await kubelab(['class', 'exec', '-f', 'room.yaml', '-o', 'plain', '--students', 'carol', '--', 'true'], dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^carol: green, 0 changed, 0 failed, in /m);
    assert.doesNotMatch(r.stdout, /^(alice|bob|dave)/m);
    assert.match(r.stdout, /^STUDENT\s+PROGRESS\s+CHANGED\s+FAILED\s+TIME\s+PROBLEM\ncarol\s+green\s+0\s+0\s+[\d.]+s\s*\n/m, 'the table at the end');
    assert.match(r.stdout, /^1 of 1 labs green$/m);

    const s = await kubelab(['class', 'status', '-f', 'room.yaml', '-o', 'plain'], dir);
    assert.equal(s.code, 1, s.stderr);
    assert.match(s.stdout, /^carol\s+green .*\(exec 20\d\d-/m);
    assert.match(s.stdout, /^dave\s+not green .*worker1 unreachable/m);
    assert.match(s.stdout, /^3 of 4 labs green \(last runs\)$/m);
  });

  it('render writes each inventory, loadable on its own; a file kubelab did not write is not overwritten', async () => {
    const r = await kubelab(['class', 'render', '-f', 'room.yaml', '--out', 'inv'], dir);
    assert.equal(r.code, 0, r.stderr);
    const bob = parseInventory(readFileSync(join(dir, 'inv', 'bob.yaml'), 'utf8'), 'bob.yaml');
    assert.equal(bob.metadata.name, 'k101-bob');
    assert.deepEqual(bob.spec.nodes.map((n) => n.ssh.port), [base + 2, base + 3]);
    assert.equal((await kubelab(['class', 'render', '-f', 'room.yaml', '--out', 'inv'], dir)).code, 0, 'a second render overwrites its own files');
    writeFileSync(join(dir, 'inv', 'alice.yaml'), 'mine\n');
    const again = await kubelab(['class', 'render', '-f', 'room.yaml', '--out', 'inv'], dir);
    assert.equal(again.code, 125);
    assert.match(again.stderr, /alice\.yaml exists and was not written by kubelab class render/);
    assert.equal(readFileSync(join(dir, 'inv', 'alice.yaml'), 'utf8'), 'mine\n');
    assert.equal(statSync(join(dir, 'inv', 'bob.yaml')).isFile(), true);
  });

  it('a bad roster or flag: exit 125 with the problem at its line, nothing run', async () => {
    writeFileSync(join(dir, 'bad.yaml'), readFileSync(join(dir, 'room.yaml'), 'utf8').replace('portStep: 2', 'portstep: 2'));
    const r = await kubelab(['class', 'exec', '-f', 'bad.yaml', '--', 'true'], dir);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /^bad\.yaml:12:\d+ spec\.derive\.portstep: unknown key "portstep" \(hint: did you mean "portStep"\?\)/m);
    assert.equal(r.stdout, '');
    const u = await kubelab(['class', 'exec', '-f', 'room.yaml', '--students', 'zed', '--', 'true'], dir);
    assert.equal(u.code, 125);
    assert.match(u.stderr, /--students: zed not in room\.yaml \(students: alice, bob, carol, dave\)/);
    assert.equal((await kubelab(['class', 'plan', '-i', 'x.yaml', '-f', 'room.yaml'], dir)).code, 125);
  });
});
