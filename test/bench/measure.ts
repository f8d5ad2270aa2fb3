/** Running a tool as a child process and measuring it: wall time, exit code, the tail of its output, peak RSS. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Peak resident set size of a live process so far (VmHWM), in MiB; 0 when it is gone. */
export function peakRssMiB(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ ms: number; code: number; out: string; peakRssMiB: number }> {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let peak = 0;
    // VmHWM only grows: the last reading before the process ends is its peak (polled, so a last-moment rise is missed)
    const poll = setInterval(() => (peak = Math.max(peak, peakRssMiB(child.pid ?? 0))), 20);
    // keep only the end of what it prints (an exec of large outputs prints a lot)
    const keep = (d: Buffer): void => {
      out = (out + d.toString()).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', rej);
    child.on('close', (code) => {
      clearInterval(poll);
      res({ ms: Number(process.hrtime.bigint() - t0) / 1e6, code: code ?? -1, out, peakRssMiB: peak });
    });
  });
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

