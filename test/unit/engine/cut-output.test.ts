/**
 * A command's stdout cut to its tail (ExecResult.stdoutCut: more than ExecOptions.maxOutputBytes) is never parsed:
 * facts refuse it (factAnswer), and so do the steps and helpers that read a command themselves, through the same
 * check (engine/facts.ts cutOutput): the sha256 of an uploaded file, containerd's images after an import
 * (readFresh), admin.conf.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cutOutput, factAnswer, readFresh } from '../../../scripts/engine/facts.js';
import { hostContext } from '../../../scripts/engine/run.js';
import { StepError } from '../../../scripts/engine/errors.js';
import { containerdImages } from '../../../scripts/facts/containerd-images.js';
import { fileSha256 } from '../../../scripts/facts/file-sha256.js';
import { uploadVerified } from '../../../scripts/host/verified-upload.js';
import { readAdminKubeconfig } from '../../../scripts/k8s/admin-kubeconfig.js';
import type { ExecResult, Transport } from '../../../scripts/transport/types.js';
import { testCluster } from '../../support/cluster.js';
import { testInventory } from '../../support/inventory.js';

/** A node whose every command answers `answer(argv)`; the commands run are kept. */
function node(answer: (argv: readonly string[]) => ExecResult): Transport & { ran: string[] } {
  const ran: string[] = [];
  return {
    name: 'master',
    ran,
    connect: async () => {},
    exec: async (argv) => (ran.push(argv.join(' ')), answer(argv)),
    put: async () => {},
    putFile: async (_l, dest) => void ran.push(`putFile ${dest}`),
    close: async () => {},
  };
}

const CUT = { stdoutCut: 9_000_000, stdoutFile: '/logs/outputs/abc.out' };
const TOO_LARGE = /its output is too large to parse \(9000000 bytes cut\); the whole output is in \/logs\/outputs\/abc\.out/;

describe('a cut stdout is never parsed', () => {
  it('cutOutput: an error naming the read and the file with the whole output; nothing for a whole output', () => {
    assert.equal(cutOutput('x', { stdout: 'a', stderr: '', code: 0, durationMs: 1 }), undefined);
    const err = cutOutput('reading y', { stdout: 'a', stderr: '', code: 0, durationMs: 1, ...CUT });
    assert.ok(err instanceof StepError);
    assert.match(err.message, /^reading y: /);
    assert.match(err.message, TOO_LARGE);
    // facts say it the same way
    const fact = fileSha256(['/f']);
    assert.match(String(factAnswer(fact, { stdout: `${'0'.repeat(64)}  /f\n`, stderr: '', code: 0, durationMs: 1, ...CUT }).error), TOO_LARGE);
  });

  it('readFresh: a fact read afresh refuses a cut output, and gives the value of a whole one', async () => {
    const line = `sha256:${'a'.repeat(64)}`;
    const images = containerdImages('registry.k8s.io/pause:3.10');
    const whole = node(() => ({ stdout: `registry.k8s.io/pause:3.10 application/vnd.oci.image.index.v1+json ${line} 1 MiB linux/amd64 -\n`, stderr: '', code: 0, durationMs: 1 }));
    const got = await readFresh(whole, images);
    assert.ok(got.images instanceof Map);
    const cut = node(() => ({ stdout: `registry.k8s.io/pause:3.10 x ${line} 1 MiB linux/amd64 -\n`, stderr: '', code: 0, durationMs: 1, ...CUT }));
    await assert.rejects(readFresh(cut, images), TOO_LARGE);
  });

  it('uploadVerified: a cut sha256sum answer (even one naming the right sum) is refused; the file is not renamed into place', async () => {
    const inv = testInventory();
    const sum = 'b'.repeat(64);
    const t = node((argv) => (argv[0] === 'sha256sum' ? { stdout: `${sum}  ${argv[2]}\n`, stderr: '', code: 0, durationMs: 1, ...CUT } : { stdout: '', stderr: '', code: 0, durationMs: 1 }));
    const host = hostContext(testCluster(inv, 'apply', { get: () => t, closeAll: async () => {} }), inv.spec.nodes[0]!, t, { get: async () => undefined as never, clear: () => {} });
    await assert.rejects(uploadVerified(host, { localPath: '/x/kubeadm', sha256: sum, dest: '/usr/bin/kubeadm', mode: 0o755, source: 'https://example.invalid/kubeadm' }), TOO_LARGE);
    assert.ok(!t.ran.some((c) => c.startsWith('mv ')), t.ran.join('\n'));
  });

  it('readAdminKubeconfig: a cut admin.conf is refused, without quoting it', async () => {
    const t = node(() => ({ stdout: 'apiVersion: v1\nclusters:\n- secret-key-material\n', stderr: '', code: 0, durationMs: 1, ...CUT }));
    await assert.rejects(readAdminKubeconfig(t), (err: Error) => {
      assert.ok(err instanceof StepError);
      assert.match(err.message, /^master: reading \/etc\/kubernetes\/admin\.conf: its output is too large to parse/);
      assert.doesNotMatch(err.message, /secret-key-material/);
      return true;
    });
  });
});
