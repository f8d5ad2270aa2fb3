/**
 * Lab VM lifecycle: up (idempotent), down (ACPI power-off, then kill), status, reboot.
 * Topology as with VirtualBox: eth0 user-mode NAT (10.0.2.15, SSH forwarded from 127.0.0.1:<port>),
 * eth1 on the cluster's private vde_switch segment (node address from the inventory); no host interfaces.
 */
import { KubelabError } from '../../util/errors.js';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { detectAccel, type ProbeKernel } from './accel.js';
import { run } from './exec.js';
import { hostonlyAddress, labMacs, nodeSshPort, nodeUuid, vmName } from './ids.js';
import { cloudSeedFiles, writeSeedImage } from './image-cloud.js';
import { ensureBaseImage, type BootImage } from './image.js';
import { ensureLabKey, labKeyPath } from './keys.js';
import { exists, nodePaths, vdePaths, vmsDir, type NodePaths } from './paths.js';
import { liveProcess, pidAlive, readPidFile, waitForExit } from './process.js';
import { qmpCommand } from './qmp.js';
import { buildQemuArgs, kernelCmdline, type QemuVmSpec } from './qemu-args.js';
import { SSH_WAIT_HINT, sshBanner, sshRun, waitForSsh, type SshTarget } from './ssh.js';
import { resolveProvider, vmSize, type QemuAccel, type QemuLab, type VmOptions } from './types.js';
import { ensureVdeSwitch, stopVdeSwitch } from './vde.js';

export { labKeyPath, waitForSsh };

/** Virtual size of each VM's overlay; the guest grows its root filesystem to it at boot. */
export const OVERLAY_SIZE_BYTES = 20 * 1024 ** 3;
const SSH_HOST = '127.0.0.1';

export interface VmUpOptions extends VmOptions {
  /** How long to wait for every VM's SSH banner (default 5 min). */
  readonly sshTimeoutMs?: number;
}

export type VmUpState = 'created' | 'started' | 'running';

export interface VmUpResult {
  readonly name: string;
  readonly pid: number;
  readonly sshHost: typeof SSH_HOST;
  readonly sshPort: number;
  readonly accel: QemuAccel;
  /** created: first boot of a new disk; started: existing disk booted; running: was already up (left alone). */
  readonly state: VmUpState;
  /** From qemu start to the SSH banner (not set when it was already running). */
  readonly bootMs?: number;
}

export interface VmStatus {
  readonly name: string;
  readonly pid: number | null;
  readonly running: boolean;
  readonly sshHost: typeof SSH_HOST;
  readonly sshPort: number;
  readonly sshUp: boolean;
  readonly accel: QemuAccel | null;
  readonly diskExists: boolean;
}

export interface VmDownResult {
  readonly name: string;
  readonly pid: number | null;
  readonly how: 'powerdown' | 'quit' | 'killed' | 'not-running';
}

/** Written next to each VM's disk when it starts. */
interface VmMeta {
  readonly accel: QemuAccel;
  readonly base: string;
  readonly sshPort: number;
  readonly uuid: string;
  readonly macs: { readonly nat: string; readonly hostonly: string };
  readonly startedAt: string;
  readonly argv: readonly string[];
}

/** Where each node's SSH is reachable on this host. */
export function providerEndpoints(lab: QemuLab): Map<string, { host: typeof SSH_HOST; port: number }> {
  return new Map(lab.spec.nodes.map((n) => [n.name, { host: SSH_HOST, port: nodeSshPort(lab, n.name) }]));
}

/** Login to a VM as root with the lab key. */
export function nodeSshTarget(lab: QemuLab, stateDir: string, node: string): SshTarget {
  return { host: SSH_HOST, port: nodeSshPort(lab, node), user: 'root', identityFile: labKeyPath(resolve(stateDir)) };
}

function vmMarkers(lab: QemuLab, p: NodePaths, node: string): string[] {
  return [vmName(lab.metadata.name, node), p.disk];
}

async function readMeta(p: NodePaths): Promise<VmMeta | null> {
  try {
    return JSON.parse(await readFile(p.meta, 'utf8')) as VmMeta;
  } catch {
    return null;
  }
}

async function consoleTail(p: NodePaths, lines = 25): Promise<string> {
  try {
    return (await readFile(p.consoleLog, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch {
    return '(no console log)';
  }
}

async function ensureOverlay(p: NodePaths, base: BootImage): Promise<boolean> {
  if (await exists(p.disk)) return false;
  const info = JSON.parse((await run('qemu-img', ['info', '--output=json', base.disk])).stdout) as { 'virtual-size'?: number };
  const size = Math.max(OVERLAY_SIZE_BYTES, info['virtual-size'] ?? 0);
  const tmp = `${p.disk}.tmp`;
  await rm(tmp, { force: true });
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', base.format, '-b', base.disk, tmp, String(size)]);
  await rename(tmp, p.disk);
  return true;
}

async function probeKernelFor(base: BootImage, cacheDir: string): Promise<ProbeKernel | undefined> {
  if (base.kind === 'kernel') return { kernel: base.kernel, initrd: base.initrd };
  // A cloud image has no separate kernel: borrow one from a cached debootstrap image when there is one.
  try {
    for (const d of (await readdir(cacheDir)).filter((x) => x.startsWith('debian-')).sort()) {
      const k = resolve(cacheDir, d, 'vmlinuz');
      const i = resolve(cacheDir, d, 'initrd.img');
      if ((await exists(k)) && (await exists(i))) return { kernel: k, initrd: i };
    }
  } catch {
    /* no cache yet */
  }
  return undefined;
}

/** Start every node's VM that is not running, then wait (in parallel) until each answers SSH. */
export async function vmUp(lab: QemuLab, opts: VmUpOptions): Promise<VmUpResult[]> {
  const stateDir = resolve(opts.stateDir);
  const cacheDir = resolve(opts.cacheDir);
  const { log } = opts;
  const prov = resolveProvider(lab);
  const cluster = lab.metadata.name;
  const key = await ensureLabKey(stateDir, `kubelab-${cluster}`);
  const base = await ensureBaseImage(lab, cacheDir, log);
  const macs = labMacs(lab);
  const vde = vdePaths(stateDir);

  // Which nodes need starting?
  const plan: { name: string; p: NodePaths; pid: number | null }[] = [];
  for (const n of lab.spec.nodes) {
    const p = nodePaths(stateDir, n.name);
    plan.push({ name: n.name, p, pid: await liveProcess(p.pidFile, vmMarkers(lab, p, n.name)) });
  }
  const toStart = plan.filter((x) => x.pid === null);
  const accel = toStart.length ? await detectAccel(prov.accel, await probeKernelFor(base, cacheDir), log) : null;
  await ensureVdeSwitch(vde, log);

  const started: { name: string; p: NodePaths; pid: number; state: VmUpState; accel: QemuAccel; t0: number }[] = [];
  const results = new Map<string, VmUpResult>();
  for (const item of plan) {
    const { name, p } = item;
    const sshPort = nodeSshPort(lab, name);
    if (item.pid !== null) {
      const meta = await readMeta(p);
      log(`${name}: already running (pid ${item.pid}, ssh 127.0.0.1:${sshPort})`);
      results.set(name, { name, pid: item.pid, sshHost: SSH_HOST, sshPort, accel: meta?.accel ?? accel?.accel ?? 'tcg', state: 'running' });
      continue;
    }
    const node = lab.spec.nodes.find((n) => n.name === name)!;
    const nodeMacs = macs.get(name)!;
    await mkdir(p.dir, { recursive: true, mode: 0o700 });
    await mkdir(resolve(p.qmpSock, '..'), { recursive: true, mode: 0o700 });
    const created = await ensureOverlay(p, base);
    const address = hostonlyAddress(node.address, lab.spec.network.nodeCidr);
    let boot: QemuVmSpec['boot'];
    if (base.kind === 'kernel') {
      boot = { kind: 'kernel', kernel: base.kernel, initrd: base.initrd, append: kernelCmdline({ hostname: name, address, publicKey: key.publicKey, accel: accel!.accel }) };
    } else {
      await writeSeedImage(
        p.seed,
        cloudSeedFiles({ cluster, node: name, address, publicKey: key.publicKey, natMac: nodeMacs.nat, hostonlyMac: nodeMacs.hostonly }),
      );
      boot = { kind: 'cloud', seed: p.seed };
    }
    const size = vmSize(prov, node);
    const spec: QemuVmSpec = {
      name: vmName(cluster, name),
      accel: accel!.accel,
      memoryMiB: size.memory,
      cpus: size.cpus,
      uuid: nodeUuid(cluster, name),
      disk: p.disk,
      boot,
      sshPort,
      ...(prov.isolated ? { isolated: { hostPorts: prov.hostPorts } } : {}),
      diskCache: prov.diskCache,
      natMac: nodeMacs.nat,
      hostonlyMac: nodeMacs.hostonly,
      vdeSock: vde.sockDir,
      qmpSock: p.qmpSock,
      consoleLog: p.consoleLog,
      pidFile: p.pidFile,
      daemonize: true,
    };
    if (await exists(p.consoleLog)) await rename(p.consoleLog, p.consolePrev);
    await rm(p.qmpSock, { force: true });
    await rm(p.pidFile, { force: true });
    const argv = buildQemuArgs(spec);
    const t0 = Date.now();
    const r = await run('qemu-system-x86_64', argv, { allowFail: true, timeoutMs: 60_000 });
    const pid = await readPidFile(p.pidFile);
    if (r.code !== 0 || pid === null || !pidAlive(pid)) {
      const why = (r.stderr || r.stdout).trim();
      const portTaken = /hostfwd|host forwarding/i.test(why);
      throw new KubelabError(
        `${name}: qemu did not start${portTaken ? ` (is 127.0.0.1:${sshPort} taken by another program?)` : ''}: ${why || `exit ${r.code}`}`,
        portTaken
          ? `free 127.0.0.1:${sshPort} (ss -ltnp 'sport = :${sshPort}') or set provider.sshPortBase to free ports`
          : `qemu's console log is ${p.consoleLog}`,
      );
    }
    const meta: VmMeta = { accel: spec.accel, base: base.disk, sshPort, uuid: spec.uuid, macs: nodeMacs, startedAt: new Date().toISOString(), argv };
    await writeFile(p.meta, JSON.stringify(meta, null, 2) + '\n');
    log(`${name}: qemu started (pid ${pid}, ${spec.accel}, ${created ? 'new disk' : 'existing disk'}, ssh 127.0.0.1:${sshPort})`);
    started.push({ name, p, pid, state: created ? 'created' : 'started', accel: spec.accel, t0 });
  }

  const timeoutMs = opts.sshTimeoutMs ?? 5 * 60_000;
  const waits = await Promise.allSettled(
    started.map(async (s) => {
      const sshPort = nodeSshPort(lab, s.name);
      try {
        await waitForSsh(sshPort, timeoutMs, { alive: () => pidAlive(s.pid) });
      } catch (e) {
        throw new KubelabError(`${s.name}: ${(e as Error).message}; console (${s.p.consoleLog}):\n${await consoleTail(s.p)}`, SSH_WAIT_HINT);
      }
      const bootMs = Date.now() - s.t0;
      log(`${s.name}: SSH answers after ${(bootMs / 1000).toFixed(1)} s`);
      results.set(s.name, { name: s.name, pid: s.pid, sshHost: SSH_HOST, sshPort, accel: s.accel, state: s.state, bootMs });
    }),
  );
  const failed = waits.filter((w): w is PromiseRejectedResult => w.status === 'rejected');
  if (failed.length) throw new KubelabError(failed.map((f) => (f.reason as Error).message).join('\n\n'), SSH_WAIT_HINT);
  return lab.spec.nodes.map((n) => results.get(n.name)!);
}

/** Node directories under <stateDir>/vms: the lab's nodes plus any left from nodes since removed. */
async function knownNodes(lab: QemuLab, stateDir: string): Promise<string[]> {
  const names = new Set(lab.spec.nodes.map((n) => n.name));
  try {
    for (const d of await readdir(vmsDir(stateDir), { withFileTypes: true })) if (d.isDirectory()) names.add(d.name);
  } catch {
    /* none yet */
  }
  return [...names];
}

async function stopOne(lab: QemuLab, stateDir: string, name: string, timeoutMs: number, log: (m: string) => void): Promise<VmDownResult> {
  const p = nodePaths(stateDir, name);
  const pid = await liveProcess(p.pidFile, vmMarkers(lab, p, name));
  if (pid === null) return { name, pid: null, how: 'not-running' };
  let how: VmDownResult['how'] = 'powerdown';
  try {
    await qmpCommand(p.qmpSock, 'system_powerdown');
    log(`${name}: ACPI power-off sent, waiting up to ${Math.round(timeoutMs / 1000)} s`);
  } catch (e) {
    log(`${name}: ${(e as Error).message}`);
  }
  if (!(await waitForExit(pid, timeoutMs))) {
    how = 'quit';
    await qmpCommand(p.qmpSock, 'quit').catch(() => undefined);
    if (!(await waitForExit(pid, 5000))) {
      how = 'killed';
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await waitForExit(pid, 5000);
    }
  }
  await rm(p.pidFile, { force: true });
  await rm(p.qmpSock, { force: true });
  log(`${name}: stopped (${how})`);
  return { name, pid, how };
}

export interface VmDownOptions extends VmOptions {
  /** Only these nodes (default: every VM of the cluster). */
  readonly nodes?: readonly string[];
  /** Grace period after the ACPI power-off (default 60 s). */
  readonly timeoutMs?: number;
}

/** ACPI power-off every VM (in parallel), kill what is still up after the grace period; stop the switch when none is left. Disks are kept. */
export async function vmDown(lab: QemuLab, opts: VmDownOptions): Promise<VmDownResult[]> {
  const stateDir = resolve(opts.stateDir);
  const all = await knownNodes(lab, stateDir);
  const names = opts.nodes ? all.filter((n) => opts.nodes!.includes(n)) : all;
  const res = await Promise.all(names.map((n) => stopOne(lab, stateDir, n, opts.timeoutMs ?? 60_000, opts.log)));
  let left = 0;
  for (const n of all) {
    const p = nodePaths(stateDir, n);
    if ((await liveProcess(p.pidFile, vmMarkers(lab, p, n))) !== null) left++;
  }
  if (left === 0) await stopVdeSwitch(vdePaths(stateDir), opts.log);
  return res;
}

/**
 * How long `vm status` waits for a VM's SSH banner. An emulated VM that has just booted can take several seconds
 * to answer (a clean-clone CI run saw 3 s pass right after `vm up` had reached the same sshd).
 */
export const STATUS_BANNER_TIMEOUT_MS = 10_000;

export async function vmStatus(lab: QemuLab, opts: VmOptions): Promise<VmStatus[]> {
  const stateDir = resolve(opts.stateDir);
  return Promise.all(
    lab.spec.nodes.map(async (n) => {
      const p = nodePaths(stateDir, n.name);
      const pid = await liveProcess(p.pidFile, vmMarkers(lab, p, n.name));
      const sshPort = nodeSshPort(lab, n.name);
      const sshUp = pid !== null && (await sshBanner(SSH_HOST, sshPort, STATUS_BANNER_TIMEOUT_MS)) !== null;
      const meta = await readMeta(p);
      return { name: n.name, pid, running: pid !== null, sshHost: SSH_HOST, sshPort, sshUp, accel: pid !== null ? (meta?.accel ?? null) : null, diskExists: await exists(p.disk) };
    }),
  );
}

export interface VmRebootOptions extends VmOptions {
  /** guest (default): `systemctl reboot` over SSH, a clean guest reboot; reset: QMP system_reset (hard reset). */
  readonly method?: 'guest' | 'reset';
  readonly timeoutMs?: number;
}

export interface VmRebootResult {
  readonly name: string;
  /** From the reboot request to SSH answering with a new boot id. */
  readonly rebootMs: number;
}

const BOOT_ID = 'cat /proc/sys/kernel/random/boot_id';

/** Reboot one node (or all, in parallel) and wait until it is back on SSH with a new boot id. */
export async function vmReboot(lab: QemuLab, opts: VmRebootOptions, node?: string): Promise<VmRebootResult[]> {
  const stateDir = resolve(opts.stateDir);
  const names = node ? [node] : lab.spec.nodes.map((n) => n.name);
  const timeoutMs = opts.timeoutMs ?? 5 * 60_000;
  return Promise.all(
    names.map(async (name) => {
      const t = nodeSshTarget(lab, stateDir, name);
      const before = await sshRun(t, BOOT_ID);
      if (before.code !== 0) throw new KubelabError(`${name}: cannot log in to read the boot id: ${before.stderr.trim()}`, SSH_WAIT_HINT);
      const oldId = before.stdout.trim();
      const t0 = Date.now();
      if (opts.method === 'reset') {
        await qmpCommand(nodePaths(stateDir, name).qmpSock, 'system_reset');
      } else {
        // The connection usually drops while the command runs: the exit status is not meaningful.
        await sshRun(t, 'systemctl reboot', 20_000);
      }
      opts.log(`${name}: reboot requested (${opts.method ?? 'guest'})`);
      const end = t0 + timeoutMs;
      for (;;) {
        if (Date.now() > end) throw new KubelabError(`${name}: not back on SSH with a new boot id within ${Math.round(timeoutMs / 1000)} s`, SSH_WAIT_HINT);
        await waitForSsh(t.port, Math.max(1000, end - Date.now()));
        const after = await sshRun(t, BOOT_ID, 20_000);
        if (after.code === 0 && after.stdout.trim() && after.stdout.trim() !== oldId) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      const rebootMs = Date.now() - t0;
      opts.log(`${name}: back after ${(rebootMs / 1000).toFixed(1)} s`);
      return { name, rebootMs };
    }),
  );
}
