/** What every transport (ssh2 to a node, or the connection keeper's client) offers to the engine. */
import { KubelabError } from '../util/errors.js';

/** The default connect deadline (inventory spec.ssh.connectTimeout: 10 seconds). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** The seconds a connect deadline may be, in the inventory (spec.ssh.connectTimeout) and on the command line (--connect-timeout). */
export const CONNECT_TIMEOUT_RANGE_S = { min: 1, max: 600 } as const;
/** The longest delay a Node.js timer takes (a longer one fires at once): the cap of every timeout. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit code; 128+N when killed by signal N; -1 when it could not be determined. */
  code: number;
  durationMs: number;
  /**
   * Bytes dropped from the front of stdout / stderr: only the last ExecOptions.maxOutputBytes are kept in memory
   * (absent or 0: the text is the whole output). The whole output is then in stdoutFile / stderrFile.
   */
  stdoutCut?: number;
  stderrCut?: number;
  /** The file in the run's log folder holding the whole (redacted) stdout / stderr, when it was large. */
  stdoutFile?: string;
  stderrFile?: string;
}

export interface ExecOptions {
  /** Per-command timeout; the remote process is signalled and a TransportError('timeout') thrown. */
  timeoutMs?: number;
  /** Data written to the command's stdin (then stdin is closed). */
  stdin?: string | Buffer;
  /** Run as the login user instead of root (default: root, through sudo when the login user is not root). */
  asLoginUser?: boolean;
  /** Values that must never reach a log line (tokens, passwords); redacted as "<redacted>". */
  secrets?: string[];
  /**
   * false: the command log gets only the size of stdout, not its content (for output that is secret but not
   * known in advance, e.g. a kubeconfig with a client key). stderr is still logged. Default true.
   */
  logStdout?: boolean;
  /**
   * Bytes of stdout and of stderr kept in memory (the last ones; default DEFAULT_MAX_OUTPUT_BYTES, 8 MiB). More is
   * cut (ExecResult.stdoutCut) and written whole to a file in the run's log folder instead.
   */
  maxOutputBytes?: number;
  /** Where large outputs are written (default: the logger's spillDir). The connection keeper gets its client's. */
  spillDir?: string;
  /**
   * Interrupts the command (Ctrl-C): handled like a timeout (the remote process group is signalled), then a
   * TransportError('interrupted') is thrown. An exec whose signal is already aborted does not start.
   */
  signal?: AbortSignal;
}

export interface PutOptions {
  /** File mode, e.g. 0o644. */
  mode: number;
  owner?: string;
  group?: string;
  secrets?: string[];
  /**
   * Interrupts the upload (Ctrl-C): the transfer stops, the temp file is removed (dest is left as it was), and a
   * TransportError('interrupted') is thrown. An upload whose signal is already aborted does not start.
   */
  signal?: AbortSignal;
}

export type TransportErrorKind = 'unreachable' | 'auth' | 'hostkey' | 'timeout' | 'interrupted' | 'sudo' | 'protocol';

export class TransportError extends KubelabError {
  constructor(
    readonly kind: TransportErrorKind,
    readonly host: string,
    message: string,
    hint?: string,
  ) {
    super(message, hint, 1);
    this.name = 'TransportError';
  }
}

/** One line of the per-host command log. Secrets are already redacted by the logger. */
export interface CommandRecord {
  host: string;
  command: string;
  code: number;
  durationMs: number;
  stdout: string;
  stderr: string;
  /** Set when the output was large: the file with the whole output (stdout/stderr above are then empty). */
  stdoutFile?: string;
  stderrFile?: string;
}


/** What the command log shows of a command's stdout (see ExecOptions.logStdout). */
export function stdoutForLog(stdout: string, opts: Pick<ExecOptions, 'logStdout'>): string {
  if (opts.logStdout !== false || stdout === '') return stdout;
  return `<not logged: ${Buffer.byteLength(stdout, 'utf8')} bytes>`;
}

export interface CommandLogger {
  record(entry: CommandRecord, secrets?: string[]): void;
  /** The folder of the run's logs where outputs too large for the host log are written (see transport/output.ts). */
  readonly spillDir?: string;
}

export interface Forward {
  localPort: number;
  close(): Promise<void>;
}

export interface Transport {
  /** The node name this transport talks to (used in errors and logs). */
  readonly name: string;
  connect(): Promise<void>;
  /** argv is quoted for a POSIX shell on the remote side; never a pre-joined command string. */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Upload whole file content: temp file, then atomic install with mode/owner. */
  put(content: string | Buffer, dest: string, opts: PutOptions): Promise<void>;
  /**
   * Upload a local file (release binaries, image archives: up to hundreds of MB) without holding it in memory;
   * same temp-then-atomic-install as put. Optional: putLocalFile (put-file.ts) falls back to reading the file.
   */
  putFile?(localPath: string, dest: string, opts: PutOptions): Promise<void>;
  /** Forward a local port on 127.0.0.1 to remoteHost:remotePort as seen from the node. */
  forward?(remoteHost: string, remotePort: number): Promise<Forward>;
  close(): Promise<void>;
}
