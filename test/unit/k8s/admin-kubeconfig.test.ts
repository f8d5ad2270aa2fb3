/** admin.conf read through a transport: content returned, only its size in the per-host log (ExecOptions.logStdout). */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { StepError } from '../../../scripts/engine/errors.js';
import { RunLogs } from '../../../scripts/engine/host-log.js';
import { readAdminKubeconfig } from '../../../scripts/k8s/admin-kubeconfig.js';
import { LocalTransport } from '../../support/local-transport.js';
import type { CommandRecord } from '../../../scripts/transport/types.js';

const work = mkdtempSync(join(tmpdir(), 'kubelab-admin-conf-'));
after(() => rmSync(work, { recursive: true, force: true }));

const KEY = 'c2VjcmV0LWNsaWVudC1rZXktbWF0ZXJpYWw=';
const CONTENT = `apiVersion: v1\nclusters:\n- cluster: {server: 'https://10.0.0.1:6443'}\n  name: kubernetes\nusers:\n- name: a\n  user: {client-key-data: ${KEY}}\n`;

test('the content is returned; the per-host log file has the command and the size of stdout, not the key', async () => {
  const file = join(work, 'admin.conf');
  writeFileSync(file, CONTENT);
  const logs = new RunLogs(join(work, 'logs'));
  const got = await readAdminKubeconfig(new LocalTransport({ name: 'master', logger: logs }), { path: file });
  await logs.close();
  assert.equal(got, CONTENT);
  const log = readFileSync(join(work, 'logs', 'master.log'), 'utf8');
  assert.match(log, /\$ cat -- \S*admin\.conf\nexit 0 in \d+ ms\nstdout:\n<not logged: \d+ bytes>\n$/);
  assert.ok(!log.includes(KEY));
});

test('logStdout defaults to logging stdout, and stderr is logged even when stdout is not', async () => {
  const records: CommandRecord[] = [];
  const t = new LocalTransport({ logger: { record: (e) => records.push(e) } });
  await t.exec(['sh', '-c', 'echo out; echo err >&2']);
  await t.exec(['sh', '-c', 'echo out; echo err >&2'], { logStdout: false });
  await t.exec(['true'], { logStdout: false });
  assert.deepEqual(
    records.map((r) => [r.stdout, r.stderr]),
    [
      ['out\n', 'err\n'],
      ['<not logged: 4 bytes>', 'err\n'],
      ['', ''],
    ],
  );
});

test('not a kubeconfig: StepError without the content', async () => {
  const file = join(work, 'junk.conf');
  writeFileSync(file, `just-a-key: ${KEY}\n`);
  await assert.rejects(readAdminKubeconfig(new LocalTransport({ name: 'cp1' }), { path: file }), (err: unknown) => {
    assert.ok(err instanceof StepError);
    assert.match(err.message, /^cp1: \S+junk\.conf is not a kubeconfig/);
    assert.ok(!err.message.includes(KEY));
    return true;
  });
});
