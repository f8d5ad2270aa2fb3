/** The lab SSH key pair: <stateDir>/id_ed25519, created once; its public key is root's login key in every VM. */
import { KubelabError } from '../../util/errors.js';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './exec.js';
import { exists } from './paths.js';

export function labKeyPath(stateDir: string): string {
  return join(stateDir, 'id_ed25519');
}

export interface LabKey {
  readonly privateKeyPath: string;
  /** One line: "ssh-ed25519 AAAA... comment" (no newline). */
  readonly publicKey: string;
}

export async function ensureLabKey(stateDir: string, comment = 'kubelab'): Promise<LabKey> {
  const priv = labKeyPath(stateDir);
  const pub = `${priv}.pub`;
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  if (!(await exists(priv))) {
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', priv]);
  } else if (!(await exists(pub))) {
    const r = await run('ssh-keygen', ['-y', '-f', priv]);
    await writeFile(pub, `${r.stdout.trim()} ${comment}\n`, { mode: 0o644 });
  }
  const publicKey = (await readFile(pub, 'utf8')).trim();
  if (!/^ssh-ed25519 [A-Za-z0-9+/=]+( .*)?$/.test(publicKey)) throw new KubelabError(`${pub} does not hold an ed25519 public key`, `delete ${pub} and its private key: kubelab makes a new lab key`);
  return { privateKeyPath: priv, publicKey };
}
