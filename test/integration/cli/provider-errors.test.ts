/**
 * A provider failure the user can fix reaches the CLI's entry as a typed error: exit 1, "kubelab: <what>"
 * plus a hint, never an internal error with a stack trace. The real CLI as a child process, with a PATH
 * that holds none of the provider's tools.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';

const CLI = resolve('dist/scripts/kubelab.js');
const work = mkdtempSync(join(tmpdir(), 'kubelab-provider-errors-'));
after(() => rmSync(work, { recursive: true, force: true }));

function kubelab(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: work, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

test('vm up without the provider tools on PATH: exit 1, the missing tool and a hint, no stack', async () => {
  const emptyBin = join(work, 'bin');
  mkdirSync(emptyBin);
  copyFileSync(resolve('inventory/qemu-lab.yaml'), join(work, 'lab.yaml'));
  const r = await kubelab(['vm', 'up', '-i', 'lab.yaml'], { PATH: emptyBin, HOME: work, KUBELAB_IMAGE_CACHE: join(work, 'images') });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^kubelab: cannot run [\w.-]+: not found on PATH\n {2}hint: install [\w.-]+ /);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  // nothing was built: the failure came before any image or VM
  assert.deepEqual(readdirSync(work).sort(), ['.kubelab', 'bin', 'lab.yaml']);
});
