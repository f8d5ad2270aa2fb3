/**
 * An interrupt during a large upload, against a real sshd on 127.0.0.1, through a session as the CLI opens it
 * (the run's signal given to every upload by transport/with-signal.ts): directly and through the connection
 * keeper. The transfer stops within moments, the upload fails as interrupted, the partial temp file is removed
 * and the destination is not created. The deadline is generous (a starved machine), far below the whole upload.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CliContext } from '../../../scripts/commands/cli-context.js';
import { openSession } from '../../../scripts/commands/session.js';
import { readSettings } from '../../../scripts/commands/settings.js';
import { loadInventory } from '../../../scripts/inventory/load.js';
import { stopMux } from '../../../scripts/transport/mux-client.js';
import { putLocalFile } from '../../../scripts/transport/put-file.js';
import { TransportError } from '../../../scripts/transport/types.js';
import { sshInventoryYaml } from '../../support/inventory.js';
import { sshdSkipReason, startSshd, type Sshd } from '../../support/sshd.js';

/** 4 GiB (sparse here): an upload that takes far longer than the test's deadline on loopback. */
const SIZE = 4 * 1024 ** 3;
const TMP = '/tmp';

/** The upload temp files (transport/ssh.ts: /tmp/.kubelab-<hex>) now on the node (= this machine). */
function uploadTemps(): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of readdirSync(TMP)) {
    if (!/^\.kubelab-[0-9a-f]{16}$/.test(name)) continue;
    try {
      out.set(name, statSync(join(TMP, name)).size);
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

describe('an interrupted upload (real sshd)', { skip: sshdSkipReason() }, () => {
  let sshd: Sshd;
  let dir: string;
  let big: string;

  before(async () => {
    sshd = await startSshd();
    dir = mkdtempSync(join(tmpdir(), 'kubelab-upload-intr-'));
    big = join(dir, 'big.img');
    writeFileSync(big, '');
    truncateSync(big, SIZE);
  });
  after(async () => {
    await stopMux(join(dir, '.kubelab', 'upmux'));
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [cluster, persist] of [['updirect', '0'], ['upmux', '60']] as const) {
    test(`${persist === '0' ? 'direct' : 'through the connection keeper'}: stops promptly, no partial file left, dest not created`, async () => {
      const file = join(dir, `${cluster}.yaml`);
      writeFileSync(
        file,
        sshInventoryYaml(cluster, { user: 'root', identityFile: sshd.clientKey }, [
          { name: 'master', role: 'control-plane', address: '192.168.56.10', ssh: { host: '127.0.0.1', port: sshd.port } },
        ]),
      );
      const ac = new AbortController();
      const sink = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
      const env = { KUBELAB_PERSIST: persist };
      const ctx: CliContext = { stdout: sink, stderr: sink, env, settings: readSettings(env), signal: ac.signal };
      const prevCwd = process.cwd();
      process.chdir(dir);
      const session = await openSession(await loadInventory(file), ctx);
      process.chdir(prevCwd);
      try {
        const t = session.transports.get(session.nodes[0]!);
        await t.connect();
        const dest = join(dir, 'remote', 'big.img');
        const before = uploadTemps();
        const upload = putLocalFile(t, big, dest, { mode: 0o644 });
        let outcome: unknown;
        upload.catch((err: unknown) => (outcome = err));

        // the transfer has begun: a new temp file with some bytes in it
        let temp: string | undefined;
        const t0 = Date.now();
        while (!temp) {
          if (outcome) assert.fail(`the upload ended before it was interrupted: ${String(outcome)}`);
          if (Date.now() - t0 > 120_000) assert.fail('no upload temp file seen within 120 s');
          temp = [...uploadTemps()].find(([name, size]) => !before.has(name) && size > 0)?.[0];
          if (!temp) await new Promise((r) => setTimeout(r, 20));
        }

        ac.abort('SIGINT');
        const stoppedAt = Date.now();
        await assert.rejects(upload, (err: unknown) => {
          assert.ok(err instanceof TransportError, String(err));
          assert.equal(err.kind, 'interrupted', err.message);
          assert.match(err.message, new RegExp(`upload of ${dest.replace(/[.]/g, '\\.')} interrupted \\(SIGINT\\)`));
          return true;
        });
        const took = Date.now() - stoppedAt;
        // a deadline for a hung transfer (the whole 4 GiB takes far longer), not a performance bound
        assert.ok(took < 30_000, `the upload took ${took} ms to stop`);
        assert.equal(uploadTemps().has(temp), false, `${temp} left behind`);
        assert.throws(() => statSync(dest), /ENOENT/, 'dest not created');
      } finally {
        await session.close();
      }
    });
  }
});
