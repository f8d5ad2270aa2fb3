import { UsageError } from '../util/errors.js';
import { dnsCheck } from './dns.js';
import { metricsCheck } from './metrics.js';
import { monitoringCheck } from './monitoring.js';
import { nodesCheck } from './nodes.js';
import { podNetworkCheck } from './pod-network.js';
import { servicesCheck } from './services.js';
import { storageCheck } from './storage.js';
import { systemPodsCheck } from './system-pods.js';
import type { Check } from './types.js';

/** Every check `kubelab check` runs, in order. */
export const CHECKS: readonly Check[] = [
  nodesCheck,
  systemPodsCheck,
  dnsCheck,
  podNetworkCheck,
  servicesCheck,
  storageCheck,
  metricsCheck,
  monitoringCheck,
];

/** Checks selected by `--only a,b` (in their run order); unknown names are an error naming the valid ones. */
export function selectChecks(only: readonly string[] | undefined, all: readonly Check[] = CHECKS): Check[] {
  if (!only?.length) return [...all];
  const known = all.map((c) => c.name as string);
  const unknown = only.filter((n) => !known.includes(n));
  if (unknown.length) throw new UsageError(`--only: unknown check ${unknown.join(', ')} (checks: ${known.join(', ')})`);
  return all.filter((c) => only.includes(c.name));
}
