/**
 * clock-skew: a node's clock more than a minute from the workstation's (VMs resumed from pause). The node's
 * `date +%s.%N` ran between the moment its command was sent and the moment its answer arrived; only a time outside
 * that window, by more than the limit, counts (the round-trip is no skew).
 */
import { hostClock } from '../facts/clock.js';
import type { DoctorSource, Finding } from './types.js';

export const CLOCK_SKEW_LIMIT_SECONDS = 60;

/** Seconds the node's time lies outside [sent, answered] (negative: behind), 0 inside. */
export function clockSkewSeconds(nodeSeconds: number, sentAtMs: number, answeredAtMs: number): number {
  const ms = nodeSeconds * 1000;
  if (ms < sentAtMs) return (ms - sentAtMs) / 1000;
  if (ms > answeredAtMs) return (ms - answeredAtMs) / 1000;
  return 0;
}

export const clockSource: DoctorSource = {
  name: 'clock',
  facts: () => [hostClock],
  diagnose(ctx) {
    const out: Finding[] = [];
    for (const node of ctx.nodes) {
      const t = ctx.value(node, hostClock);
      const r = ctx.reads.get(node.name);
      if (t === undefined || !r) continue;
      const skew = clockSkewSeconds(t, r.sentAtMs, r.answeredAtMs);
      if (Math.abs(skew) <= CLOCK_SKEW_LIMIT_SECONDS) continue;
      out.push({
        code: 'clock-skew',
        node: node.name,
        symptom: `${node.name}'s clock is ${Math.round(Math.abs(skew))} s ${skew > 0 ? 'ahead of' : 'behind'} the workstation's (${new Date(t * 1000).toISOString()})`,
        cause: `more than ${CLOCK_SKEW_LIMIT_SECONDS} s off (a VM resumed from pause or a saved state, no time sync): certificates look not yet valid or expired, leases and tokens expire early`,
        fix: `${ctx.fix.exec(node.name, ['date', '-u', '-s', '@$(date +%s)']).replace("'@$(date +%s)'", '"@$(date +%s)"')} (the workstation's time; then enable time sync: ${ctx.fix.exec(node.name, ['timedatectl', 'set-ntp', 'true'])})`,
      });
    }
    return out;
  },
};
