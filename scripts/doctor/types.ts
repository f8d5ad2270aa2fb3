/**
 * `kubelab doctor`: read-only diagnosis of a lab. Each finding source (one file each in doctor/) names the facts it
 * reads on a node; the doctor reads every node's facts with one command per node (engine/batch-facts.ts), in
 * parallel, while it connects to the API server; then each source turns the answers (and the API's, when reachable)
 * into findings. Sources never get a transport: they cannot run anything on a node.
 */
import type { FactAnswer } from '../engine/facts.js';
import type { Fact } from '../engine/types.js';
import type { Inventory, InventoryNode } from '../inventory/types.js';
import type { ClusterApi } from '../k8s/cluster-api.js';

/** Every code a finding may carry (stable: `--output json` consumers match on them). */
export const FINDING_CODES = [
  'node-unreachable',
  'api-unreachable',
  'swap-on',
  'swap-in-fstab',
  'kubelet-not-running',
  'containerd-not-running',
  'containerd-config-drift',
  'node-not-registered',
  'node-ip-wrong',
  'flannel-wrong-iface',
  'cni-not-loaded',
  'address-changed',
  'cert-expired',
  'cert-expiring',
  'clock-skew',
  'nfs-server-not-running',
  'nfs-export-missing',
  'pv-server-unreachable',
  'disk-pressure',
  'inode-pressure',
  'pod-crashloop',
  'pod-image-pull',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

export interface Finding {
  code: FindingCode;
  /** The inventory node it is about (absent for cluster-wide findings). */
  node?: string;
  /** What is wrong, as seen. */
  symptom: string;
  /** Why (the journal's last error, the certificate's date, ...). */
  cause: string;
  /** The exact command that repairs it: a kubelab command where one does, the manual one otherwise. */
  fix: string;
  /** Supporting lines (a unit's last journal lines), shown under the finding. */
  evidence?: string;
  /** How `kubelab heal` repairs it; absent: heal leaves it to the reader (the fix, by hand). */
  repair?: Repair;
}

/**
 * A repair `kubelab heal` makes: these `up` phases (one run for all findings), then these commands on their
 * nodes, then `thenPhases` (what depends on the commands, e.g. the admin kubeconfig copy after a renewal).
 */
export interface Repair {
  phases?: string[];
  commands?: { node: string; argv: string[] }[];
  thenPhases?: string[];
}

/** The API reads the doctor may make: nothing that creates, changes or deletes. */
export type DoctorApi = Pick<ClusterApi, 'via' | 'read' | 'listNodes' | 'listPods' | 'listEvents' | 'listPvs'>;

/** What one node answered. */
export interface NodeReads {
  node: InventoryNode;
  /** Why the node could not be read (unreachable, authentication, timeout); answers is then empty. */
  error?: string;
  answers: ReadonlyMap<string, FactAnswer<unknown>>;
  /** The workstation's clock (ms since the epoch) just before the node's command was sent and when its answer was in. */
  sentAtMs: number;
  answeredAtMs: number;
}

/** Commands for a fix, spelled for the inventory file the doctor was given. */
export interface Fixes {
  /** `kubelab <words> -i <inv>` */
  kubelab(words: readonly string[]): string;
  /** `kubelab up -i <inv> --only <phases>` */
  up(phases: string): string;
  /** `kubelab exec -i <inv> --nodes <node> -- <argv>` (argv quoted for a POSIX shell). */
  exec(node: string, argv: readonly string[]): string;
  /** kubectl as root on the first control-plane node, through admin.conf (a kubelab exec command). */
  kubectl(args: readonly string[]): string;
  /** A finding's fix and repair when the fix is exactly what heal runs: its `up` and `exec` commands, in order. */
  repaired(repair: Repair): { fix: string; repair: Repair };
}

export interface DoctorContext {
  inv: Inventory;
  /** The nodes being diagnosed (all, or --nodes). */
  nodes: readonly InventoryNode[];
  reads: ReadonlyMap<string, NodeReads>;
  /** A fact's value on a node; undefined when the node was not read or the fact has no valid answer. */
  value<T>(node: InventoryNode, fact: Fact<T>): T | undefined;
  /** The API server, when reachable. */
  api?: DoctorApi;
  /** Why the API server could not be reached (set when api is not). */
  apiError?: string;
  fix: Fixes;
  /** The workstation's clock (ms since the epoch). */
  nowMs: number;
}

/** What the first round found, for DoctorSource.more. */
export interface FirstRead {
  value<T>(fact: Fact<T>): T | undefined;
  apiReachable: boolean;
}

/** One source of findings (a file of doctor/), listed in DOCTOR_SOURCES (doctor/index.ts). */
export interface DoctorSource {
  name: string;
  /** The facts it reads on `node` (batched with every other source's into one command per node). */
  facts(node: InventoryNode, inv: Inventory): readonly Fact<unknown>[];
  /**
   * Facts needed only for what the first read found (a unit's journal when it is not running, the API server's
   * container when the API does not answer): read in a second command, on the nodes that need them.
   */
  more?(node: InventoryNode, first: FirstRead): readonly Fact<unknown>[];
  diagnose(ctx: DoctorContext): Finding[] | Promise<Finding[]>;
}
