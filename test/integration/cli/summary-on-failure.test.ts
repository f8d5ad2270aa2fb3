/**
 * plan, up and exec end every output mode with their summary, also when the run fails: through the real CLI
 * against a real sshd on 127.0.0.1. A run stopped before any host (a credential that cannot be read) still ends
 * with the summary saying why (json: its last line, with `error`), with the exit code it had; a host that is
 * unreachable or a step that fails midway ends with the recap per host.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubelab } from '../../support/cli.js';
import { sshInventoryYaml } from '../../support/inventory.js';
import { freePorts, sshdSkipReason, startSshd, type Sshd } from '../../support/sshd.js';

const UNSET = 'KUBELAB_TEST_SUMMARY_UNSET_PW';

describe('plan, up and exec end with their summary on failure (real CLI, real sshd)', { skip: sshdSkipReason() }, () => {
  let sshd: Sshd;
  let dir: string;
  let closed: number;

  before(async () => {
    sshd = await startSshd();
    closed = (await freePorts(1))[0]!;
    dir = mkdtempSync(join(tmpdir(), 'kubelab-summary-'));
    const master = { name: 'master', role: 'control-plane', address: '192.168.56.10', ssh: { host: '127.0.0.1', port: sshd.port } };
    // worker1's password comes from a variable that is not set: refused before any host is reached (and both nodes
    // point at a closed port: `up` must never change this machine, even if that refusal were lost)
    const nowhere = { ...master, ssh: { host: '127.0.0.1', port: closed } };
    const unset = { name: 'worker1', role: 'worker', address: '192.168.56.11', ssh: { host: '127.0.0.1', port: closed, passwordEnv: UNSET } };
    writeFileSync(join(dir, 'nopw.yaml'), sshInventoryYaml('nopw', { user: 'root', identityFile: sshd.clientKey }, [nowhere, unset]));
    const down = { name: 'worker1', role: 'worker', address: '192.168.56.11', ssh: { host: '127.0.0.1', port: closed } };
    writeFileSync(join(dir, 'down.yaml'), sshInventoryYaml('down', { user: 'root', identityFile: sshd.clientKey }, [master, down]));
  });
  after(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const runs: [string, string[]][] = [
    ['plan', ['plan', '--only', 'os']],
    ['up', ['up', '--only', 'os']],
    ['exec', ['exec', '--', 'true']],
  ];

  for (const [name, args] of runs) {
    it(`${name} stopped before any host: exit 2 as before, json's last line is the summary with why, plain's last line says why`, async () => {
      assert.equal(process.env[UNSET], undefined);
      const json = await kubelab([...args.slice(0, 1), '-i', 'nopw.yaml', '--output', 'json', ...args.slice(1)], dir);
      assert.equal(json.code, 2, json.stdout + json.stderr);
      assert.match(json.stderr, new RegExp(`environment variable ${UNSET} is not set`));
      const lines = json.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 1, json.stdout);
      const summary = JSON.parse(lines[0]!) as Record<string, unknown>;
      assert.deepEqual(
        { ...summary, error: undefined },
        { type: 'summary', ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, hosts: {}, error: undefined },
      );
      assert.match(String(summary.error), new RegExp(`${UNSET} is not set`));

      const plain = await kubelab([...args.slice(0, 1), '-i', 'nopw.yaml', '--output', 'plain', ...args.slice(1)], dir);
      assert.equal(plain.code, 2, plain.stderr);
      assert.match(plain.stdout, new RegExp(`stopped by an error: .*${UNSET} is not set.*\\n$`));
    });
  }

  it('plan with a host unreachable midway: the json summary is the last line, with each host\'s tally (as before)', async () => {
    const r = await kubelab(['plan', '-i', 'down.yaml', '--only', 'os', '--output', 'json', '--connect-timeout', '5'], dir);
    assert.equal(r.code, 1, r.stderr);
    const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = events.at(-1) as { type: string; unreachable: number; hosts: Record<string, { unreachable: boolean; ok: number; changed: number; failed: number; skipped: number }> };
    assert.equal(summary.type, 'summary');
    assert.equal(summary.unreachable, 1);
    assert.equal(summary.hosts.worker1!.unreachable, true);
    assert.equal(summary.hosts.master!.unreachable, false);
    const masterSteps = events.filter((e) => e.type === 'step' && e.host === 'master').length;
    const m = summary.hosts.master!;
    assert.ok(masterSteps > 0);
    assert.equal(m.ok + m.changed + m.failed + m.skipped, masterSteps, 'the recap counts what ran on master');
  });

  it('exec with a host unreachable: each host said, then the counts line last (as before)', async () => {
    const r = await kubelab(['exec', '-i', 'down.yaml', '--output', 'plain', '--connect-timeout', '5', '--', 'true'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^worker1 UNREACHABLE: /m);
    assert.match(r.stdout, /^master exit 0 /m);
    assert.match(r.stdout, /\n1 ok, 0 failed, 1 unreachable\n$/);
  });
});

describe('a usage error (bad options, a missing inventory) still ends every output mode with the summary line (real CLI)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubelab-usage-summary-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const lastJson = (stdout: string): Record<string, unknown> => {
    const last = stdout.trimEnd().split('\n').at(-1) ?? '';
    assert.ok(last.startsWith('{'), `stdout ends with a json line: ${JSON.stringify(stdout)}`);
    return JSON.parse(last) as Record<string, unknown>;
  };

  // every command with a summary line, each with an option that does not parse and a value that is refused
  const commands: [string, string[]][] = [
    ['plan', ['plan']],
    ['up', ['up']],
    ['exec', ['exec']],
    ['check', ['check']],
    ['doctor', ['doctor']],
    ['heal', ['heal']],
  ];
  for (const [name, cmd] of commands) {
    it(`${name}: an unknown option and a refused value, asked as --output json, -o json and --output=json: exit 2, the summary last with the error`, async () => {
      const tail = name === 'exec' ? ['--', 'true'] : [];
      const cases: [string[], RegExp][] = [
        [[...cmd, '--output', 'json', '--bogus', ...tail], /unknown option --bogus/],
        [[...cmd, '-o', 'json', '--concurrency', '0', ...tail], /--concurrency 0/],
        [[...cmd, '--output=json', '--connect-timeout', '700', ...tail], /--connect-timeout 700: expected 1 to 600 seconds/],
      ];
      for (const [args, why] of cases) {
        const r = await kubelab(args, dir);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        const summary = lastJson(r.stdout);
        assert.equal(summary.type, 'summary', args.join(' '));
        assert.match(String(summary.error), why, args.join(' '));
        assert.match(r.stderr, why, args.join(' '));
      }
    });
  }

  it('heal with no inventory: json ends with the summary saying why, plain with "doctor: not run"', async () => {
    const json = await kubelab(['heal', '-i', 'missing.yaml', '-o', 'json'], dir);
    assert.equal(json.code, 2, json.stderr);
    assert.match(String(lastJson(json.stdout).error), /missing\.yaml/);
    const plain = await kubelab(['heal', '-i', 'missing.yaml', '-o', 'plain'], dir);
    assert.equal(plain.code, 2, plain.stderr);
    assert.match(plain.stdout, /^doctor: not run: .*missing\.yaml.*\n$/m);
  });
});
