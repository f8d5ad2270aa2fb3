/** SSH reachability (banner check) and a tiny OpenSSH-client runner for provider-internal use (reboot). */
import { KubelabError } from '../../util/errors.js';
import { createConnection } from 'node:net';
import { run, type RunResult } from './exec.js';

/** Hint for a VM that does not answer on SSH. */
export const SSH_WAIT_HINT = "the VM's console log (.kubelab/<cluster>/vms/<node>/console.log) shows how far it booted; `kubelab vm down` and `kubelab vm up` start it again";

/** Connect and read the server's identification line; null when none arrives in time. */
export function sshBanner(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    let buf = '';
    let settled = false;
    const sock = createConnection({ host, port });
    const finish = (v: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    sock.on('error', () => finish(null));
    sock.on('close', () => finish(null));
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const line = buf.split(/\r?\n/).find((l) => l.startsWith('SSH-'));
      if (line) finish(line.trim());
      else if (buf.length > 8192) finish(null);
    });
  });
}

interface WaitForSshOptions {
  host?: string;
  intervalMs?: number;
  /** Checked between attempts: stop waiting when it returns false (e.g. the VM process died). */
  alive?: () => boolean | Promise<boolean>;
}

/** Poll until an SSH banner answers on host:port (default 127.0.0.1). Resolves with the banner and the wait. */
export async function waitForSsh(port: number, timeoutMs: number, opts: WaitForSshOptions = {}): Promise<{ banner: string; waitedMs: number }> {
  const host = opts.host ?? '127.0.0.1';
  const start = Date.now();
  for (;;) {
    const left = start + timeoutMs - Date.now();
    if (left <= 0) throw new KubelabError(`no SSH banner from ${host}:${port} within ${Math.round(timeoutMs / 1000)} s`, SSH_WAIT_HINT);
    const banner = await sshBanner(host, port, Math.min(5000, left));
    if (banner) return { banner, waitedMs: Date.now() - start };
    if (opts.alive && !(await opts.alive())) throw new KubelabError(`the VM behind ${host}:${port} stopped while waiting for SSH`, SSH_WAIT_HINT);
    await new Promise((r) => setTimeout(r, Math.min(opts.intervalMs ?? 1000, Math.max(0, start + timeoutMs - Date.now()))));
  }
}

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  identityFile: string;
}

/**
 * Run a fixed command on a VM with the OpenSSH client (host keys of throwaway lab VMs are not pinned here;
 * the engine's transport does its own host-key handling). `remoteCommand` is a constant, never user input.
 */
export function sshRun(t: SshTarget, remoteCommand: string, timeoutMs = 30_000): Promise<RunResult> {
  return run(
    'ssh',
    [
      '-i', t.identityFile,
      '-p', String(t.port),
      '-o', 'BatchMode=yes',
      '-o', 'IdentitiesOnly=yes',
      '-o', 'StrictHostKeyChecking=no',
      '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'LogLevel=ERROR',
      '-o', 'ConnectTimeout=10',
      '-o', 'ServerAliveInterval=5',
      '-o', 'ServerAliveCountMax=2',
      `${t.user}@${t.host}`,
      remoteCommand,
    ],
    { allowFail: true, timeoutMs },
  );
}
