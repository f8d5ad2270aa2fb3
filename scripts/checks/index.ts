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
