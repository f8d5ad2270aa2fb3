import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The compiled CLI entry (tests run from the repository root). */
export const CLI = resolve('dist/scripts/kubelab.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the run. */
  ms: number;
  /** Whether `interruptWhen` answered true and SIGINT (Ctrl-C) was sent before the run ended. */
  interrupted: boolean;
}

export interface CliOptions {
  /**
   * Asked every `pollMs` with the output so far, until the run ends: the first true sends SIGINT, once. A check
   * that wants a delay after what it waits for sleeps before answering (the run's end in between sends nothing).
   */
  interruptWhen?: (stdout: string) => Promise<boolean>;
  pollMs?: number;
  /** Copy the run's stderr to this process' stderr as it comes (long e2e runs show their progress). */
  echoStderr?: boolean;
}

/**
 * Runs the real CLI as a child process in `cwd`; no ssh-agent, and KUBELAB_PERSIST=0 so no connection keeper
 * daemon outlives the run (test/integration/transport/mux.test.ts covers it), unless `env` says otherwise.
 */
export function kubelab(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, opts: CliOptions = {}): Promise<CliRun> {
  return new Promise((res, rej) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, SSH_AUTH_SOCK: '', KUBELAB_PERSIST: '0', ...env } });
    let stdout = '';
    let stderr = '';
    let closed = false;
    let interrupted = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (opts.echoStderr) process.stderr.write(d);
    });
    child.on('error', rej);
    child.on('close', (code) => {
      closed = true;
      res({ code: code ?? -1, stdout, stderr, ms: Date.now() - t0, interrupted });
    });
    const when = opts.interruptWhen;
    if (!when) return;
    void (async () => {
      while (!closed) {
        if ((await when(stdout).catch(() => false)) && !closed) {
          interrupted = true;
          child.kill('SIGINT');
          return;
        }
        await new Promise((w) => setTimeout(w, opts.pollMs ?? 1000));
      }
    })();
  });
}
