import { posix } from 'node:path';
import { StepError } from '../engine/errors.js';
import { readFresh } from '../engine/facts.js';
import type { HostContext } from '../engine/types.js';
import { fileSha256 } from '../facts/file-sha256.js';
import { putLocalFile } from '../transport/put-file.js';

export interface VerifiedUpload {
  /** The verified bytes on the workstation. */
  readonly localPath: string;
  /** Lower-case hex sha256 the bytes must have on the node. */
  readonly sha256: string;
  /** Absolute path on the node. */
  readonly dest: string;
  readonly mode: number;
  /** Where the bytes came from, for the error message (a URL, a bundle file). */
  readonly source: string;
}

/**
 * Uploads a local file to a temp name beside `dest`, checks its sha256 there, then renames it into place: dest
 * is either untouched or complete and verified. A mismatch removes the temp file and fails the step.
 */
export async function uploadVerified(host: HostContext, f: VerifiedUpload): Promise<void> {
  const stage = posix.join(posix.dirname(f.dest), `.${posix.basename(f.dest)}.kubelab-new`);
  await putLocalFile(host.transport, f.localPath, stage, { mode: f.mode });
  const got = (await readFresh(host.transport, fileSha256([stage]))).get(stage);
  if (got !== f.sha256) {
    await host.run(['rm', '-f', '--', stage]);
    throw new StepError(
      `${f.dest}: the uploaded file has sha256 ${got ?? '(unreadable)'} on ${host.node.name}, expected ${f.sha256} (from ${f.source}); not installed`,
      'the workstation copy or the transfer is corrupt: delete the cached file (or rebuild the bundle) and run again',
    );
  }
  await host.run(['mv', '-f', '--', stage, f.dest]);
}
