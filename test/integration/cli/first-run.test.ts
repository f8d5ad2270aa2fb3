/**
 * A new user's first runs, through the real CLI (dist/scripts/kubelab.js as a child process, in a folder of its
 * own): output that ends with its summary even when nothing could run, clear messages for the SSH identity file.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sshInventoryYaml } from '../../support/inventory.js';
import { CLI, kubelab } from '../../support/cli.js';
import { freePorts } from '../../support/sshd.js';

function inventory(ssh: Record<string, unknown>, port = 22): string {
  return sshInventoryYaml('firstrun', { user: 'root', ...ssh }, [{ name: 'master', role: 'control-plane', address: '192.168.56.10', ssh: { host: '127.0.0.1', port } }]);
}

describe('the first runs of a new user', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubelab-firstrun-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('check --output json with an unreachable control plane: exit 1, the last line is the summary naming why', async () => {
    const [closed] = await freePorts(1);
    writeFileSync(join(dir, 'closed.yaml'), inventory({ passwordEnv: 'KUBELAB_TEST_PW' }, closed));
    const r = await kubelab(['check', '-i', 'closed.yaml', '--output', 'json'], dir, { KUBELAB_TEST_PW: 'x' });
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stdout);
    const summary = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual({ ...summary, error: undefined }, { type: 'summary', passed: 0, failed: 0, skipped: 0, error: undefined });
    assert.match(String(summary.error), /127\.0\.0\.1:\d+/);
    assert.match(r.stderr, /^kubelab: master: /m);
    const plain = await kubelab(['check', '-i', 'closed.yaml', '--output', 'plain'], dir, { KUBELAB_TEST_PW: 'x' });
    assert.equal(plain.code, 1);
    assert.match(plain.stdout, /^checks: 0 passed, 0 failed, 0 skipped \(none ran: .*127\.0\.0\.1:\d+.*\)\n$/);
  });

  it('the default lab before its VMs exist: exit 2 at the inventory line naming the key, with how to make the VMs', async () => {
    const lab = mkdtempSync(join(dir, 'lab-'));
    mkdirSync(join(lab, 'inventory'));
    copyFileSync(resolve('inventory/lab.yaml'), join(lab, 'inventory', 'lab.yaml'));
    for (const args of [['plan'], ['exec', '--', 'true'], ['check', '-o', 'plain']]) {
      const r = await kubelab(args, lab);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /^inventory\/lab\.yaml:\d+:\d+ spec\.ssh\.identityFile: no lab key yet: \S+\/\.kubelab\/lab\/id_ed25519 does not exist \(hint: the lab key is made with the VMs: `kubelab up` creates the VMs/m,
      );
      assert.doesNotMatch(r.stderr, /ENOENT|\n\s+at /);
    }
    assert.ok(!existsSync(join(lab, '.kubelab', 'lab', 'logs')), 'no run started');
  });

  it('identity files that are missing, a public key, a directory or not a key: every one at its line, exit 2, no connection', async () => {
    const keys = mkdtempSync(join(dir, 'keys-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys, 'id_ed25519')]);
    writeFileSync(join(keys, 'notes.txt'), 'not a key\n');
    const [closed] = await freePorts(1);
    const node = (name: string, i: number, identityFile: string) => ({
      name, role: i === 0 ? 'control-plane' : 'worker', address: `192.168.56.${10 + i}`, ssh: { host: '127.0.0.1', port: closed, identityFile },
    });
    writeFileSync(
      join(dir, 'keys.yaml'),
      sshInventoryYaml('keys', { user: 'root' }, [
        node('master', 0, join(keys, 'missing')),
        node('pub', 1, join(keys, 'id_ed25519.pub')),
        node('dir', 2, keys),
        node('text', 3, join(keys, 'notes.txt')),
        node('good', 4, join(keys, 'id_ed25519')),
      ]),
    );
    const r = await kubelab(['exec', '-i', 'keys.yaml', '-o', 'plain', '--', 'true'], dir);
    assert.equal(r.code, 2, r.stderr);
    // nothing ran: the output is the summary line alone, saying why
    assert.match(r.stdout, /^0 ok, 0 failed, 0 unreachable; stopped by an error: keys\.yaml: 4 problems in the inventory$/m);
    assert.equal(r.stdout.split('\n').length, 2, r.stdout);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 4, r.stderr);
    assert.match(lines[0]!, /^keys\.yaml:\d+:\d+ spec\.nodes\[0\]\.ssh\.identityFile: no such file: \S+\/missing \(hint: .*ssh-keygen -t ed25519/);
    assert.match(lines[1]!, new RegExp(`^keys\\.yaml:\\d+:\\d+ spec\\.nodes\\[1\\]\\.ssh\\.identityFile: \\S+ is a public key; kubelab needs the private key \\(hint: name the file without \\.pub: ${join(keys, 'id_ed25519')}\\)$`));
    assert.match(lines[2]!, /^keys\.yaml:\d+:\d+ spec\.nodes\[2\]\.ssh\.identityFile: \S+ is a directory, not a private key file \(hint: name the key file in it/);
    assert.match(lines[3]!, /^keys\.yaml:\d+:\d+ spec\.nodes\[3\]\.ssh\.identityFile: \S+notes\.txt is not a private key file/);
    const at = lines.map((l) => Number(/^keys\.yaml:(\d+):/.exec(l)![1]));
    assert.deepEqual(at, [...at].sort((a, b) => a - b), 'in file order');
    assert.ok(!existsSync(join(dir, '.kubelab', 'keys', 'logs')), 'no run started');
  });

  it('./kubelab runs the compiled entry (no npm in between); without a build it says how to make one', () => {
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    assert.equal(execFileSync(resolve('kubelab'), ['--version'], { encoding: 'utf8' }), `${version}\n`);
    assert.ok((statSync(CLI).mode & 0o111) !== 0, 'npm run build leaves the bin executable (npx kubelab, npm link)');
    const bare = mkdtempSync(join(dir, 'bare-'));
    copyFileSync(resolve('kubelab'), join(bare, 'kubelab'));
    const r = spawnSync('sh', [join(bare, 'kubelab'), '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^kubelab: not built yet: run npm ci \(or npm run build\) in /);
  });

  it('inventory from-vagrant: stdin or a file to stdout or a new file, then plan names the missing keys at their lines', () => {
    const fixture = readFileSync('test/fixtures/vagrant/ssh-config.txt', 'utf8');
    const run = (args: string[], input = '') => spawnSync(process.execPath, [CLI, 'inventory', 'from-vagrant', ...args], { cwd: dir, input, encoding: 'utf8' });
    const piped = run(['--addresses', '192.168.56.10,192.168.56.11', '--name', 'vlab'], fixture);
    assert.equal(piped.status, 0, piped.stderr);
    assert.match(piped.stdout, /^# From `vagrant ssh-config`/);
    assert.match(piped.stdout, /name: vlab/);
    writeFileSync(join(dir, 'ssh-config.txt'), fixture);
    const out = run(['ssh-config.txt', '--addresses', '192.168.56.10,192.168.56.11', '--out', 'vlab.yaml']);
    assert.equal(out.status, 0, out.stderr);
    assert.equal(readFileSync(join(dir, 'vlab.yaml'), 'utf8').replace('name: lab', 'name: vlab'), piped.stdout, 'the same inventory either way');
    assert.match(out.stderr, /^wrote vlab\.yaml \(2 nodes\); next: kubelab plan -i vlab\.yaml$/m);
    const again = run(['ssh-config.txt', '--addresses', '192.168.56.10,192.168.56.11', '--out', 'vlab.yaml']);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /--out vlab\.yaml: the file exists/);
    const few = run(['--addresses', '192.168.56.10'], fixture);
    assert.equal(few.status, 2);
    assert.match(few.stderr, /--addresses: 1 given for 2 machines \(master, worker1\)/);
    const bad = run(['--addresses', '10.0.2.15,192.168.56.11'], fixture);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /spec\.nodes\[0\]\.address: "10\.0\.2\.15" is the VirtualBox NAT address/);
    // the generated inventory is a real one: plan stops at the keys of VMs that do not exist here, at their lines
    const plan = spawnSync(process.execPath, [CLI, 'plan', '-i', 'vlab.yaml'], { cwd: dir, encoding: 'utf8', env: { ...process.env, KUBELAB_PERSIST: '0' } });
    assert.equal(plan.status, 2, plan.stderr);
    assert.match(plan.stderr, /^vlab\.yaml:\d+:\d+ spec\.nodes\[0\]\.ssh\.identityFile: no such file: \/home\/student\/k8s lab\/\.vagrant\/machines\/master\/virtualbox\/private_key/m);
  });
});
