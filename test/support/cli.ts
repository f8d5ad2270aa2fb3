import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The compiled CLI entry (tests run from the repository root). */
export const CLI = resolve('dist/scripts/kubelab.js');

/**
 * Runs the real CLI as a child process in `cwd`; no ssh-agent, and KUBELAB_PERSIST=0 so no connection keeper
 * daemon outlives the run (test/integration/transport/mux.test.ts covers it), unless `env` says otherwise.
 */
export function kubelab(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, SSH_AUTH_SOCK: '', KUBELAB_PERSIST: '0', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}
