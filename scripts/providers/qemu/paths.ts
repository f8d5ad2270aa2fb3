/** Where a cluster's provider state lives under <stateDir>. */
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { socketPath } from '../../transport/socket-path.js';
import type { VdePaths } from './vde.js';

export interface NodePaths {
  readonly dir: string;
  readonly disk: string;
  readonly pidFile: string;
  readonly qmpSock: string;
  readonly consoleLog: string;
  readonly consolePrev: string;
  readonly meta: string;
  readonly seed: string;
}

export function vmsDir(stateDir: string): string {
  return join(resolve(stateDir), 'vms');
}

export function nodePaths(stateDir: string, node: string): NodePaths {
  const dir = join(vmsDir(stateDir), node);
  return {
    dir,
    disk: join(dir, 'disk.qcow2'),
    pidFile: join(dir, 'qemu.pid'),
    qmpSock: socketPath(stateDir, join(dir, 'qmp.sock'), `${node}.qmp`),
    consoleLog: join(dir, 'console.log'),
    consolePrev: join(dir, 'console.prev.log'),
    meta: join(dir, 'vm.json'),
    seed: join(dir, 'seed.img'),
  };
}

export function vdePaths(stateDir: string): VdePaths {
  const net = join(resolve(stateDir), 'net');
  return { sockDir: socketPath(stateDir, join(net, 'hostonly.vde'), 'hostonly.vde'), pidFile: join(net, 'vde_switch.pid') };
}

/** Whether a path exists (any type). */
export async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
