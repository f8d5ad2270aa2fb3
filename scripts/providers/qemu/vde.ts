/** The cluster's host-only L2 segment: one vde_switch (daemonised, pidfile), no host interface at all. */
import { KubelabError } from '../../util/errors.js';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { run } from './exec.js';
import { liveProcess, waitForExit } from './process.js';

export interface VdePaths {
  /** Socket directory given to vde_switch -s and qemu's -netdev vde,sock= */
  readonly sockDir: string;
  readonly pidFile: string;
}

function vdeMarkers(p: VdePaths): string[] {
  return ['vde_switch', p.sockDir];
}

async function vdeSwitchPid(p: VdePaths): Promise<number | null> {
  return liveProcess(p.pidFile, vdeMarkers(p));
}

/** Start the switch unless it already runs; returns its pid. */
export async function ensureVdeSwitch(p: VdePaths, log: (msg: string) => void): Promise<{ pid: number; started: boolean }> {
  const live = await vdeSwitchPid(p);
  if (live !== null) return { pid: live, started: false };
  // Stale sockets of a killed switch would make the new one refuse to bind.
  await rm(p.sockDir, { recursive: true, force: true });
  await rm(p.pidFile, { force: true });
  await mkdir(dirname(p.sockDir), { recursive: true, mode: 0o700 });
  await mkdir(dirname(p.pidFile), { recursive: true, mode: 0o700 });
  await run('vde_switch', ['-d', '-s', p.sockDir, '-p', p.pidFile, '-m', '0700'], { timeoutMs: 15_000 });
  for (let i = 0; i < 40; i++) {
    const pid = await vdeSwitchPid(p);
    if (pid !== null) {
      log(`vde_switch started (pid ${pid}, ${p.sockDir})`);
      return { pid, started: true };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new KubelabError(`vde_switch did not come up (pidfile ${p.pidFile})`, `run vde_switch -s ${p.sockDir} by hand to see why it stops`);
}

export async function stopVdeSwitch(p: VdePaths, log: (msg: string) => void): Promise<boolean> {
  const pid = await vdeSwitchPid(p);
  if (pid === null) {
    await rm(p.pidFile, { force: true });
    return false;
  }
  process.kill(pid, 'SIGTERM');
  if (!(await waitForExit(pid, 5000))) process.kill(pid, 'SIGKILL');
  await waitForExit(pid, 2000);
  await rm(p.pidFile, { force: true });
  await rm(p.sockDir, { recursive: true, force: true });
  log(`vde_switch stopped (pid ${pid})`);
  return true;
}
