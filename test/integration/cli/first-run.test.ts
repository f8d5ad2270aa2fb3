/**
 * A new user's first runs, through the real CLI (dist/scripts/kubelab.js as a child process, in a folder of its
 * own): output that ends with its summary even when nothing could run, clear messages for the SSH identity file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { freePorts } from '../../support/sshd.js';

const CLI = resolve('dist/scripts/kubelab.js');

function kubelab(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, SSH_AUTH_SOCK: '', KUBELAB_PERSIST: '0', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

function inventory(ssh: object, port = 22): string {
  return stringify({
    apiVersion: 'kubelab/v1',
    kind: 'Cluster',
    metadata: { name: 'firstrun' },
    spec: {
      kubernetes: { version: '1.35' },
      network: { nodeCidr: '192.168.56.0/24' },
      ssh: { user: 'root', agent: false, ...ssh },
      nodes: [{ name: 'master', role: 'control-plane', address: '192.168.56.10', ssh: { host: '127.0.0.1', port } }],
    },
  });
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
});
