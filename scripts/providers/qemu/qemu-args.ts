/** Pure construction of the qemu-system-x86_64 command line for one lab VM. */
import { UsageError } from '../../util/errors.js';
import { CMDLINE_KEYS, NAT_HOST_ADDRESS } from './guest-files.js';
import type { QemuAccel } from './types.js';

type VmBoot =
  /** Direct kernel boot of the debootstrap image; per-VM identity on the kernel command line. */
  | { readonly kind: 'kernel'; readonly kernel: string; readonly initrd: string; readonly append: string }
  /** Cloud image booting its own bootloader; per-VM identity on a NoCloud seed disk. */
  | { readonly kind: 'cloud'; readonly seed: string };

export interface QemuVmSpec {
  /** Used for -name and the process title, e.g. kubelab-lab-master. */
  readonly name: string;
  readonly accel: QemuAccel;
  readonly memoryMiB: number;
  readonly cpus: number;
  readonly uuid: string;
  /** qcow2 overlay of the base image. */
  readonly disk: string;
  readonly boot: VmBoot;
  readonly sshPort: number;
  /**
   * NAT adapter cut off from everything but the forwarded SSH port (qemu user networking restrict=on), except
   * these workstation ports, reachable from the VM at 10.0.2.2:<port> (guestfwd to 127.0.0.1:<port>).
   */
  readonly isolated?: { readonly hostPorts: readonly number[] };
  /** qemu's drive cache mode: writeback (qemu's default: guest flushes reach the host disk) or unsafe (ignored). */
  readonly diskCache?: 'writeback' | 'unsafe';
  readonly natMac: string;
  readonly hostonlyMac: string;
  /** vde_switch socket directory of the cluster's host-only segment. */
  readonly vdeSock: string;
  readonly qmpSock: string;
  readonly consoleLog: string;
  readonly pidFile: string;
  readonly daemonize: boolean;
}

/** qemu's option parser splits on ',': a literal comma in a value is written ',,'. */
export function qemuEscape(value: string): string {
  return value.replace(/,/g, ',,');
}

/** VirtualBox's NAT: the workstation's loopback is 10.0.2.2 from inside the VM (qemu user networking alike). */

function natNetdev(s: QemuVmSpec): string {
  const parts = ['user', 'id=nat', `hostfwd=tcp:127.0.0.1:${s.sshPort}-:22`];
  if (s.isolated) {
    parts.push('restrict=on');
    for (const port of s.isolated.hostPorts) parts.push(`guestfwd=tcp:${NAT_HOST_ADDRESS}:${port}-tcp:127.0.0.1:${port}`);
  }
  return parts.join(',');
}

export function accelArgs(accel: QemuAccel): string[] {
  return accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', 'max'];
}

interface KernelIdentity {
  readonly hostname: string;
  /** "192.168.56.10/24" */
  readonly address: string;
  /** One public key line, "ssh-ed25519 AAAA... comment". */
  readonly publicKey: string;
  /** How the VM runs: under TCG the guest is told to keep its clock on the TSC (see TCG_CLOCK). */
  readonly accel?: QemuAccel;
}

/**
 * Under software emulation (TCG) Linux finds the vCPUs' TSCs "unsynchronized" and falls back to the HPET: every
 * clock read is then a system call and an emulated MMIO access under qemu's global lock. TCG's TSC is the host's
 * (one clock for every vCPU), so it is reliable: tsc=reliable skips the synchronisation check and the watchdog and
 * the clock is read in the vDSO. Measured on an emulated e2e worker: 200k clock reads from Python took 482 ms on
 * the TSC, 813 ms on the HPET. It does not cure the emulated control plane's load (still about 55 % of its CPU in
 * the kernel after the change): that cost is TCG's, not the clock's.
 */
export const TCG_CLOCK = ['clocksource=tsc', 'tsc=reliable'] as const;

/** Kernel command line for the debootstrap image: root, console, classic ethN names, and the kubelab-seed keys. */
export function kernelCmdline(id: KernelIdentity): string {
  if (!/^[a-zA-Z0-9.-]+$/.test(id.hostname)) throw new UsageError(`'${id.hostname}' is not a valid hostname`, 'node names may hold letters, digits, dots and dashes');
  if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(id.address)) throw new UsageError(`'${id.address}' is not an address/prefix`);
  const key = Buffer.from(id.publicKey.trim(), 'utf8').toString('base64');
  return [
    'root=/dev/vda',
    'rw',
    'console=ttyS0',
    'net.ifnames=0',
    'panic=10',
    `${CMDLINE_KEYS.hostname}=${id.hostname}`,
    `${CMDLINE_KEYS.address}=${id.address}`,
    `${CMDLINE_KEYS.sshKey}=${key}`,
    ...(id.accel === 'tcg' ? TCG_CLOCK : []),
  ].join(' ');
}

/** PCI slots are pinned so that the NAT NIC is always eth0 and the host-only NIC eth1. */
const PCI_SLOTS = { nat: '0x2', hostonly: '0x3', disk: '0x4', rng: '0x5', seed: '0x6' } as const;

export function buildQemuArgs(s: QemuVmSpec): string[] {
  const e = qemuEscape;
  const args: string[] = [
    '-name',
    `${e(s.name)},process=${e(s.name)}`,
    '-machine',
    'q35',
    ...accelArgs(s.accel),
    '-m',
    String(s.memoryMiB),
    '-smp',
    String(s.cpus),
    '-uuid',
    s.uuid,
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-serial',
    `file:${s.consoleLog}`,
    '-qmp',
    `unix:${e(s.qmpSock)},server=on,wait=off`,
    '-rtc',
    'base=utc',
    '-drive',
    `file=${e(s.disk)},if=none,id=disk0,format=qcow2,discard=unmap${s.diskCache === 'unsafe' ? ',cache=unsafe' : ''}`,
    '-device',
    `virtio-blk-pci,drive=disk0,addr=${PCI_SLOTS.disk}${s.boot.kind === 'cloud' ? ',bootindex=0' : ''}`,
    '-netdev',
    natNetdev(s),
    '-device',
    `virtio-net-pci,netdev=nat,mac=${s.natMac},addr=${PCI_SLOTS.nat}`,
    '-netdev',
    `vde,id=ho,sock=${e(s.vdeSock)}`,
    '-device',
    `virtio-net-pci,netdev=ho,mac=${s.hostonlyMac},addr=${PCI_SLOTS.hostonly}`,
    '-object',
    'rng-random,id=rng0,filename=/dev/urandom',
    '-device',
    `virtio-rng-pci,rng=rng0,addr=${PCI_SLOTS.rng}`,
  ];
  if (s.boot.kind === 'kernel') {
    args.push('-kernel', s.boot.kernel, '-initrd', s.boot.initrd, '-append', s.boot.append);
  } else {
    args.push(
      '-drive',
      `file=${e(s.boot.seed)},if=none,id=seed,format=raw,readonly=on`,
      '-device',
      `virtio-blk-pci,drive=seed,addr=${PCI_SLOTS.seed}`,
    );
  }
  if (s.daemonize) args.push('-daemonize', '-pidfile', s.pidFile);
  return args;
}
