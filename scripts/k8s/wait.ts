/** Polling waits on the API server: a generic waitFor and the rollout conditions kubelab needs. */
import { AppsV1Api, type KubeConfig } from '@kubernetes/client-node';

import { StepError } from '../engine/errors.js';
import { pollUntil } from '../engine/poll.js';
import { apiMessage } from './apply.js';
import { daemonSetStatus, deploymentStatus, type WaitStatus } from './rollout-status.js';

export type { WaitStatus };

export interface WaitOptions {
  /** Default 300000 (5 min). */
  timeoutMs?: number;
  /** Default 2000. */
  intervalMs?: number;
}

/**
 * Calls check(kc) until it reports done. An error thrown by check (object not created yet, API server
 * restarting) counts as "not yet"; the last detail or error is in the timeout's message.
 */
export async function waitFor(
  kc: KubeConfig,
  check: (kc: KubeConfig) => Promise<WaitStatus>,
  opts: WaitOptions & { /** For the timeout message, e.g. "DaemonSet kube-flannel/kube-flannel-ds". */ what: string },
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 300_000;
  await pollUntil(() => check(kc), {
    timeoutMs,
    intervalMs: opts.intervalMs ?? 2000,
    onError: apiMessage,
    timeout: (last) => new StepError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${opts.what}: ${last}`),
  });
}

export function waitDaemonSetReady(kc: KubeConfig, namespace: string, name: string, opts?: WaitOptions): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  return waitFor(kc, async () => daemonSetStatus(await apps.readNamespacedDaemonSet({ namespace, name })), {
    ...opts,
    what: `DaemonSet ${namespace}/${name}`,
  });
}

export function waitDeploymentAvailable(kc: KubeConfig, namespace: string, name: string, opts?: WaitOptions): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  return waitFor(kc, async () => deploymentStatus(await apps.readNamespacedDeployment({ namespace, name })), {
    ...opts,
    what: `Deployment ${namespace}/${name}`,
  });
}
