/**
 * spec.timing: one factor for every wait of kubelab and kubeadm, and what an emulated lab relaxes. Every wait reads
 * it from the inventory (no global): a step's rollout wait is waitMs(inv, 5 * 60_000).
 */
import type { Inventory } from './types.js';

/** A default wait (milliseconds, as tuned for a laptop with KVM) times spec.timing.waitFactor. */
export function waitMs(inv: Pick<Inventory, 'spec'>, baseMs: number): number {
  return Math.round(baseMs * inv.spec.timing.waitFactor);
}

/** spec.timing.profile 'emulated': the lab runs under software emulation (one control-plane node). */
export function emulatedLab(inv: Pick<Inventory, 'spec'>): boolean {
  return inv.spec.timing.profile === 'emulated';
}

/**
 * What an emulated lab makes of a probe: failureThreshold times spec.timing.waitFactor and up to 60 s per probe
 * (timeoutSeconds times the factor); a standard lab keeps it. Used for kubeadm's static pods and for the
 * workloads kubelab applies (flannel, the addons), whose 1 s probes fail on a loaded emulated node.
 */
export function scaledProbe(inv: Pick<Inventory, 'spec'>, timeoutSeconds: number, failureThreshold: number): { timeoutSeconds: number; failureThreshold: number } {
  if (!emulatedLab(inv)) return { timeoutSeconds, failureThreshold };
  const f = inv.spec.timing.waitFactor;
  return { timeoutSeconds: Math.max(timeoutSeconds, Math.min(60, Math.round(timeoutSeconds * f))), failureThreshold: Math.round(failureThreshold * f) };
}

/**
 * flanneld's `--iptables-resync` (seconds) in an emulated lab: 60 instead of flannel's 5. Every resync runs
 * `iptables` once per rule it keeps, and each run of iptables-nft reads the whole table: on the emulated control
 * plane those child processes took 21 % of a vCPU, measured from flanneld's cutime/cstime over a minute. A rule
 * that someone deletes comes back within a minute instead of 5 s. Undefined: flannel's own default.
 */
export function flannelIptablesResyncS(inv: Pick<Inventory, 'spec'>): number | undefined {
  return emulatedLab(inv) ? 60 : undefined;
}

/**
 * The kubelet's cAdvisor housekeeping interval in an emulated lab (kubelet flag --housekeeping-interval, default
 * 10s; no KubeletConfiguration field). A CPU profile of the kubelet on the emulated control plane (40 s from its
 * /debug/pprof/profile, Kubernetes v1.35.4, 2026-12-03) put 24 % of its time in cAdvisor's housekeeping (reading
 * every container's cgroup files), while the kubelet was the guest's busiest process (96 % of a vCPU). cAdvisor
 * waits between one and two intervals (dynamic housekeeping does not lengthen an interval above its 15 s cap), so
 * 30s reads stats a third as often; metrics-server (15 s resolution) keeps the previous point when a sample has not
 * changed, so `kubectl top` answers with coarser figures. What it saves is measured only in part (README, Slow labs:
 * nothing beyond the noise on the worker; the control plane not measured). Undefined: the kubelet's default.
 */
export function kubeletHousekeepingInterval(inv: Pick<Inventory, 'spec'>): string | undefined {
  return emulatedLab(inv) ? '30s' : undefined;
}
