import type { CheckEvent, TransportPool } from '../engine/types.js';
import { waitMs } from '../inventory/timing.js';
import type { Inventory } from '../inventory/types.js';
import type { AddonName } from './addons.js';
import type { ClusterApi } from '../k8s/cluster-api.js';

export const CHECK_NAMES = ['nodes', 'system-pods', 'dns', 'pod-network', 'services', 'storage', 'metrics', 'monitoring'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];


/** What a check reports: whether it passed, what it saw, and on failure the likely cause. */
export interface CheckOutcome {
  ok: boolean;
  detail: string;
  diagnosis?: string;
}

/** One check's result as reported: the check event of the run's stream without its type. */
export interface CheckResult extends Omit<CheckEvent, 'type'> {
  name: CheckName;
}

/** The checks' waits; the defaults below are for a laptop with KVM, checkSettings(inv) scales them. */
export interface CheckSettings {
  /** Time for a smoke pod to start and, for one-shot pods, finish. Default 180 s (first image pull included). */
  podTimeoutMs: number;
  /** Poll interval of every wait. Default 2 s. */
  pollMs: number;
  /** Time for metrics-server to report every node. Default 90 s. */
  metricsWaitMs: number;
  /** Time for Prometheus to scrape every target once (no target "unknown"). Default 90 s. */
  targetsWaitMs: number;
  /** Time for the kubelab-smoke namespace to disappear (a leftover at start, ours at the end). Default 120 s. */
  namespaceTimeoutMs: number;
  /** A working provisioner binds a claim within seconds: one still unbound after this (default 60 s) is reported. */
  claimBindMs: number;
  /**
   * How long a probe pod retries a target that fails (default 20 s): kube-proxy programs a new Service's rules
   * some seconds after its endpoints appear (longer on a loaded emulated node), and rejects the port until then.
   */
  probeRetryMs: number;
}

export const DEFAULT_CHECK_SETTINGS: CheckSettings = {
  podTimeoutMs: 180_000,
  pollMs: 2000,
  metricsWaitMs: 90_000,
  targetsWaitMs: 90_000,
  namespaceTimeoutMs: 120_000,
  claimBindMs: 60_000,
  probeRetryMs: 20_000,
};

/** DEFAULT_CHECK_SETTINGS with every wait (not the poll interval) times spec.timing.waitFactor. */
export function checkSettings(inv: Inventory): CheckSettings {
  const d = DEFAULT_CHECK_SETTINGS;
  return {
    podTimeoutMs: waitMs(inv, d.podTimeoutMs),
    pollMs: d.pollMs,
    metricsWaitMs: waitMs(inv, d.metricsWaitMs),
    targetsWaitMs: waitMs(inv, d.targetsWaitMs),
    namespaceTimeoutMs: waitMs(inv, d.namespaceTimeoutMs),
    claimBindMs: waitMs(inv, d.claimBindMs),
    probeRetryMs: waitMs(inv, d.probeRetryMs),
  };
}

export interface CheckContext {
  inv: Inventory;
  api: ClusterApi;
  /** SSH to the inventory's nodes (the storage check reads the file on the NFS server). */
  transports: TransportPool;
  /** Where the checks create their objects (kubelab-smoke). */
  namespace: string;
  /** Distinguishes this run's test data (the file the storage check writes). */
  runId: string;
  settings: CheckSettings;
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface Check {
  name: CheckName;
  /** One line for help and the tty spinner. */
  title: string;
  /** Reported as skipped when this addon is disabled in the inventory. */
  addon?: AddonName;
  /** Creates objects in the smoke namespace (the runner creates it first and removes it afterwards). */
  usesNamespace: boolean;
  run(ctx: CheckContext): Promise<CheckOutcome>;
}
