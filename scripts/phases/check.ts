import type { Phase } from '../engine/types.js';
import { initNode } from '../inventory/topology.js';
import { smokeChecksStep } from '../steps/smoke-checks.js';

/** The smoke checks of `kubelab check`, run from the workstation against the API after everything else. */
export const checkPhase: Phase = {
  name: 'check',
  title: 'Smoke checks (nodes, pods, DNS, pod network, services, storage, metrics, monitoring)',
  hosts: (inv) => [initNode(inv)],
  steps: [smokeChecksStep],
};
