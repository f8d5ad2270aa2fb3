/**
 * KVM or TCG: probe KVM for real (a short guest boot with a timeout) and fall back to TCG.
 * /dev/kvm existing is not enough: on some hosts (nested virt) KVM guests hang or stop with
 * "KVM internal error". The result is cached per process.
 */
import { access, constants } from 'node:fs/promises';
import { run } from './exec.js';
import type { QemuAccel, QemuAccelMode } from './types.js';

export interface AccelDecision {
  readonly accel: QemuAccel;
  readonly reason: string;
  readonly probeMs?: number;
}

export interface ProbeKernel {
  readonly kernel: string;
  readonly initrd?: string;
}

interface ProbeResult {
  readonly ok: boolean;
  readonly reason: string;
  readonly output: string;
  readonly ms: number;
}

/**
 * The argv of the KVM boot probe. With a kernel: boot it (with its initramfs when given) against a root
 * device that does not exist; the initramfs gives up after 1 s and panic=1 reboots, which -no-reboot turns
 * into a clean exit. That runs long mode, paging, interrupts and user space in the guest.
 * Without a kernel: only SeaBIOS runs (a weaker check, used when no kernel is at hand).
 */
export function kvmProbeArgs(k?: ProbeKernel): string[] {
  const base = ['-accel', 'kvm', '-cpu', 'host', '-machine', 'q35', '-m', '256', '-smp', '1', '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot'];
  if (!k) return [...base, '-chardev', 'stdio,id=dbg', '-device', 'isa-debugcon,iobase=0x402,chardev=dbg'];
  return [
    ...base,
    '-serial', 'stdio',
    '-kernel', k.kernel,
    ...(k.initrd ? ['-initrd', k.initrd] : []),
    '-append', 'console=ttyS0 root=/dev/kubelab-accel-probe rootdelay=1 panic=1 loglevel=4',
  ];
}

/** Judge probe output: the guest must reach a clear end state, and qemu must report no KVM error. */
export function judgeProbe(output: string, exitCode: number | null, timedOut: boolean, withKernel: boolean): { ok: boolean; reason: string } {
  if (/KVM internal error|kvm run failed|failed to initialize kvm|Could not access KVM/i.test(output)) {
    const line = output.split('\n').find((l) => /KVM|kvm/.test(l)) ?? 'KVM error';
    return { ok: false, reason: line.trim() };
  }
  if (withKernel) {
    const reached = /Gave up waiting for root|Rebooting automatically|Kernel panic|VFS: Unable to mount root/.test(output);
    if (reached && !timedOut) return { ok: true, reason: 'guest kernel and initramfs ran to the expected end under KVM' };
    if (timedOut) return { ok: false, reason: reached ? 'guest reached the end but qemu did not exit' : 'guest boot hung under KVM (timeout)' };
    return { ok: false, reason: `qemu ${exitCode === null ? 'was killed by a signal' : `exited with ${exitCode}`} before the guest reached the end${lastLine(output)}` };
  }
  if (/No bootable device|Booting from|Searching bootorder/.test(output)) return { ok: true, reason: 'firmware ran under KVM (no kernel probed)' };
  return { ok: false, reason: timedOut ? 'firmware hung under KVM (timeout)' : `qemu exited with ${exitCode}${lastLine(output)}` };
}

function lastLine(output: string): string {
  const l = output
    .split('\n')
    .map((x) => x.trim())
    .filter((x) => x && !/warning: host doesn't support/.test(x))
    .find((x) => /error|assert|fail/i.test(x));
  return l ? ` (${l.replace(/^qemu-system-x86_64:\s*/, '')})` : '';
}

async function runKvmProbe(k: ProbeKernel | undefined, timeoutMs: number): Promise<ProbeResult> {
  const started = Date.now();
  let r;
  try {
    r = await run('qemu-system-x86_64', kvmProbeArgs(k), {
      allowFail: true,
      timeoutMs,
      mergeStderr: true,
      maxBytes: 1 << 19,
      // Firmware probe: it loops on "No bootable device" forever; stop as soon as it is seen.
      ...(k ? {} : { stopWhen: (out: string) => judgeProbe(out, null, false, false).ok }),
    });
  } catch (e) {
    return { ok: false, reason: (e as Error).message, output: '', ms: Date.now() - started };
  }
  const out = r.stdout;
  const j = judgeProbe(out, r.signal ? null : r.code, r.timedOut && !(k === undefined && judgeProbe(out, null, false, false).ok), k !== undefined);
  return { ...j, output: out.slice(-4000), ms: Date.now() - started };
}

async function decide(mode: QemuAccelMode, k: ProbeKernel | undefined, log: (msg: string) => void): Promise<AccelDecision> {
  if (mode === 'tcg') return { accel: 'tcg', reason: 'accel: tcg requested' };
  if (mode === 'kvm') return { accel: 'kvm', reason: 'accel: kvm requested (not probed)' };
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { accel: 'tcg', reason: '/dev/kvm is missing or not accessible' };
  }
  log(`accel: probing KVM with a short ${k ? 'kernel' : 'firmware'} boot ...`);
  const r = await runKvmProbe(k, k ? 30_000 : 8_000);
  if (r.ok) return { accel: 'kvm', reason: r.reason, probeMs: r.ms };
  return { accel: 'tcg', reason: `KVM unusable: ${r.reason}; using TCG (software emulation, slower)`, probeMs: r.ms };
}

/** KVM or TCG for the VMs about to start (probed once per `vm up`, only when a VM has to be started). */
export async function detectAccel(mode: QemuAccelMode, k: ProbeKernel | undefined, log: (msg: string) => void = () => undefined): Promise<AccelDecision> {
  const d = await decide(mode, k, log);
  log(`accel: ${d.accel} (${d.reason})`);
  return d;
}
