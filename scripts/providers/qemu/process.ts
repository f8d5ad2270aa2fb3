/** Pidfiles and liveness checks that survive pid reuse (the process's cmdline must match). */
import { readFile } from 'node:fs/promises';

export async function readPidFile(pidFile: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** argv of a live process, or null (gone, zombie or unreadable). */
async function processArgv(pid: number): Promise<string[] | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    if (/\) Z /.test(stat)) return null;
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw ? raw.split('\0').filter((s, i, a) => i < a.length - 1 || s !== '') : null;
  } catch {
    return null;
  }
}

/** The pid in pidFile when it is alive and its argv contains every marker; else null. */
export async function liveProcess(pidFile: string, markers: readonly string[]): Promise<number | null> {
  const pid = await readPidFile(pidFile);
  if (pid === null || !pidAlive(pid)) return null;
  const argv = await processArgv(pid);
  if (!argv) return null;
  return markers.every((m) => argv.some((a) => a.includes(m))) ? pid : null;
}

export async function waitForExit(pid: number, timeoutMs: number, intervalMs = 250): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!pidAlive(pid) || (await processArgv(pid)) === null) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return !pidAlive(pid);
}
