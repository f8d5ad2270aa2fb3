/** Whether a DaemonSet or Deployment has rolled out, from its status (pure; used by the waits). */
import type { V1DaemonSet, V1Deployment } from '@kubernetes/client-node';
import type { PollStatus } from '../engine/poll.js';

/** One look at the thing being waited for: done or not, and a short status for the timeout message. */
export type WaitStatus = PollStatus;

/** Rolled out and ready on every node it is scheduled to (what `kubectl rollout status` waits for). */
export function daemonSetStatus(ds: V1DaemonSet): WaitStatus {
  const s = ds.status;
  const desired = s?.desiredNumberScheduled ?? 0;
  const ready = s?.numberReady ?? 0;
  const updated = s?.updatedNumberScheduled ?? 0;
  const observed = (s?.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 1);
  return {
    done: observed && desired === ready && desired === updated,
    detail: observed ? `${ready}/${desired} ready, ${updated}/${desired} updated` : 'new generation not observed yet',
  };
}

/** Rolled out: every replica updated and available, no old replicas left, Available condition true. */
export function deploymentStatus(d: V1Deployment): WaitStatus {
  const s = d.status;
  const want = d.spec?.replicas ?? 1;
  const updated = s?.updatedReplicas ?? 0;
  const available = s?.availableReplicas ?? 0;
  const total = s?.replicas ?? 0;
  const observed = (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1);
  const availableCond = s?.conditions?.find((c) => c.type === 'Available')?.status === 'True';
  return {
    done: observed && updated === want && total === want && available === want && availableCond,
    detail: observed ? `${available}/${want} available, ${updated}/${want} updated, ${total} total` : 'new generation not observed yet',
  };
}
