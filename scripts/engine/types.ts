import type { Arch, InstallArtifacts } from './install-artifacts.js';
import type { Inventory, InventoryNode } from '../inventory/types.js';
import type { ExecOptions, ExecResult, Transport } from '../transport/types.js';
import type { DownloadNotice, OnDownload } from '../util/download-notice.js';
import type { Settings } from '../util/settings.js';

/** A fact reads state on one host and has no side effects: a command plus a parser. */
export interface Fact<T> {
  /** Cache key, unique per fact and argument (e.g. "file:/etc/hosts"). */
  readonly key: string;
  readonly argv: readonly string[];
  /** Exit codes that are a valid answer (default [0]); anything else is an error. */
  readonly okCodes?: readonly number[];
  parse(result: ExecResult): T;
}

/** Facts of one host, read once per run and forgotten when a change is applied. */
export interface Facts {
  get<T>(fact: Fact<T>): Promise<T>;
  clear(): void;
}

/**
 * What the hosts of one run share: every node's transport (a worker's join needs the control plane's token)
 * and run-scoped data computed once (memoise promises in `state`). Nothing outlives the run.
 */
export interface ClusterContext {
  readonly inv: Inventory;
  readonly mode: RunMode;
  readonly transports: TransportPool;
  readonly state: Map<string, unknown>;
  readonly settings: RunSettings;
  /** Registers a cleanup run once at the end of the run (e.g. closing an API tunnel). */
  onClose(cleanup: () => Promise<void>): void;
  /** Adds an event to the run's stream (the smoke checks report each check result this way). */
  emit(e: CheckStartEvent | CheckEvent): void;
  /** Record mode (KUBELAB_RECORD): where the facts and API answers of this run are written (engine/recording.ts). */
  readonly recorder?: RunRecorder;
}

/** One answer a fact gave while the run was recorded (record mode, KUBELAB_RECORD). */
export interface FactRecord {
  /** The node the fact was read on. */
  readonly node: string;
  /** The node whose step asked, when it is another one (a worker reading the control plane's facts). */
  readonly for?: string;
  readonly phase?: string;
  readonly step?: string;
  /** plan: read while planning; apply: while applying the changes or verifying them. */
  readonly stage?: 'plan' | 'apply';
  readonly key: string;
  readonly argv: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/**
 * Record mode: what a run read, written for test fixtures (engine/recording.ts implements it; k8s/recording-api.ts
 * writes the API answers into `apiDir`). Everything written is redacted like the host logs.
 */
export interface RunRecorder {
  /** A fact's answer given to a step (the same answer given again in the same phase is written once). */
  fact(r: FactRecord): void;
  /** The recording's check-scenario folder (<dir>/api): API answers and the checks' SSH answers (ssh.json). */
  readonly apiDir: string;
  /** Text as it may be written: secrets redacted (the session's, bootstrap tokens, certificate keys). */
  redact(text: string, secrets?: readonly string[]): string;
  /** The pool with every command's answer written to ssh.json (the checks' SSH reads). */
  recordSsh(pool: TransportPool): TransportPool;
  /** The smoke checks' run id (<dir>/api/run.json): what they wrote holds it, so a replay needs the same. */
  checkRun(runId: string): void;
}

/** What the steps use of the run's settings (util/settings.ts; never read from globals by steps). */
export type RunSettings = Pick<Settings, 'offline' | 'manifestCacheDir' | 'manifestSeedDirs' | 'artifactCacheDir'> & {
  /**
   * The workstation side of `install: binaries`: the verified files and images for one node architecture
   * (downloaded into the cache, or read from the bundle). Read through artifacts/for-run.ts, once per run and
   * architecture. Unset: a run that needs it fails with a message saying so.
   */
  readonly installArtifacts?: (inv: Inventory, arch: Arch) => Promise<InstallArtifacts>;
  /** Told before each download from the internet or a mirror (commands say so: a download event, or a line). */
  readonly onDownload?: OnDownload;
};

/** What a step needs to look at one host and change it. */
export interface HostContext {
  readonly inv: Inventory;
  readonly cluster: ClusterContext;
  readonly node: InventoryNode;
  readonly transport: Transport;
  readonly facts: Facts;
  /** The phase and step this context is used for (record mode writes it next to each fact's answer). */
  readonly scope?: { readonly phase: string; readonly step: string; readonly stage: 'plan' | 'apply' };
  /** Scratch memory of this host for this run (e.g. "apt lists refreshed"); nothing outlives the run. */
  readonly runState: Map<string, unknown>;
  /** Run a command that changes the host; a non-zero exit throws StepError with the stderr tail. */
  run(argv: readonly string[], opts?: ExecOptions & { okCodes?: readonly number[] }): Promise<ExecResult>;
}

/** One change a step would make. Empty change list = the host is already as desired. */
export interface Change {
  readonly description: string;
  apply(host: HostContext): Promise<void>;
}

/** What a step needs to say which files it manages on a node, from the inventory alone (no host is read). */
export interface FilesContext {
  readonly inv: Inventory;
  readonly node: InventoryNode;
  /** For pinned upstream manifests (cache, seed folders, or download unless offline). */
  readonly settings: RunSettings;
}

/**
 * A file a step manages, as `kubelab render` writes it: a path on the step's node, or (scope "cluster") a
 * cluster-wide manifest file name, from the step that applies it (flannel, the addons).
 */
export interface ManagedFile {
  readonly scope: 'node' | 'cluster';
  readonly path: string;
  readonly content: string;
}

export interface Step {
  readonly name: string;
  /** Whether the step concerns this node at all (default: yes); a step that does not is not reported. */
  appliesTo?(node: InventoryNode, inv: Inventory): boolean;
  plan(host: HostContext): Promise<Change[]>;
  /**
   * The files this step manages on `ctx.node` (only called when it applies to the node), rendered as for a fresh
   * node: where `plan` merges into a node's current file (/etc/hosts, /etc/exports), the managed part alone.
   */
  files?(ctx: FilesContext): ManagedFile[] | Promise<ManagedFile[]>;
  /** Proof after apply that the result works (e.g. mount an export); throws StepError when it does not. */
  verify?(host: HostContext): Promise<void>;
}

export interface Phase {
  readonly name: string;
  /** `--only <group>` selects this phase too (e.g. nfs-check with nfs). */
  readonly group?: string;
  readonly title: string;
  /** The nodes this phase runs on (default: every node). */
  hosts?(inv: Inventory): InventoryNode[];
  /** Nodes that must have come through every earlier phase for this host's run to make sense. */
  dependsOn?(node: InventoryNode, inv: Inventory): string[];
  readonly steps: readonly Step[];
}

export type Outcome = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

export type RunMode = 'plan' | 'apply';

export type RunEvent =
  | { type: 'run-start'; mode: RunMode; cluster: string; phases: string[]; hosts: string[]; logDir: string }
  | { type: 'phase-start'; phase: string; title: string; hosts: string[] }
  | { type: 'host-unreachable'; phase: string; host: string; error: string; hint?: string }
  | {
      type: 'step';
      phase: string;
      host: string;
      step: string;
      outcome: Exclude<Outcome, 'unreachable'>;
      changes: string[];
      durationMs: number;
      error?: string;
      hint?: string;
      reason?: string;
    }
  | { type: 'phase-end'; phase: string; durationMs: number }
  | CheckStartEvent
  | ({ type: 'download' } & DownloadNotice)
  | CheckEvent
  | Summary
  | CheckSummary;

export type CheckStatus = 'passed' | 'failed' | 'skipped';

/** A smoke check starts (progress only: the tty spinner; not written as a JSON line). */
export interface CheckStartEvent {
  type: 'check-start';
  name: string;
  title: string;
  /** How many checks this run has (skipped ones included). */
  total: number;
}

/** One smoke check's result (ok: it does not fail the run, i.e. passed or skipped); diagnosis on failures. */
export interface CheckEvent {
  type: 'check';
  name: string;
  status: CheckStatus;
  ok: boolean;
  durationMs: number;
  detail: string;
  diagnosis?: string;
}

/** The last event of `kubelab check`: the counts of its check events. */
export interface CheckSummary {
  type: 'summary';
  passed: number;
  failed: number;
  skipped: number;
  /** Set when no check could run (bad inventory, unreachable control plane, no API): why. */
  error?: string;
}

export interface HostTally {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: boolean;
  /** Connected in this run (false for a host never tried: interrupted while connecting, or skipped for another's failure). */
  reached: boolean;
}

export interface Summary {
  type: 'summary';
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: number;
  hosts: Record<string, HostTally>;
  /** Set when the run was interrupted (e.g. "interrupted (SIGINT)"): steps after that point were not started. */
  interrupted?: string;
  /** Set when the run stopped on an error (bad input before any host, a bug midway): the first line of why. */
  error?: string;
}

export interface Reporter {
  event(e: RunEvent): void;
  /** Called once after the summary; flushes spinners and tables. */
  close(): void;
}

/** Creates (once) and hands out the transport for a node. */
export interface TransportPool {
  get(node: InventoryNode): Transport;
  closeAll(): Promise<void>;
}
