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
