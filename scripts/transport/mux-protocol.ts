/**
 * The connection keeper ("mux"): what the CLI (mux-client.ts) and the daemon (mux-daemon.ts) say to each other.
 *
 * One newline-delimited JSON message per line over a unix socket (<stateDir>/mux.sock, 0600 in a 0700 dir).
 * Requests carry an `id`; the daemon answers each with {id, ok, ...}. Between requests, the daemon also sends
 * {log: CommandRecord, id?} for every command its SshTransport logged (already redacted there), so that the
 * client writes the run's per-host log itself (into its own RunLogs, which redacts again).
 *
 * Kept free of heavy imports: the client loads this on every CLI start.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { socketPath } from './socket-path.js';
import type { CommandRecord, ExecResult, TransportErrorKind } from './types.js';
import type { SshTransportOptions } from './ssh.js';

/**
 * Bumped when the messages change; a daemon of another version is replaced (2: putFile; 3: bounded outputs, cancel;
 * 4: cancel of uploads).
 */
export const MUX_PROTOCOL = 4;

/** Default idle time before the daemon exits, in seconds (like ansible's ControlPersist=60s). */
export const DEFAULT_PERSIST_SECONDS = 60;

/** One node's connection settings, as given to SshTransport (secrets included: sent only on stdin / the socket). */
export type MuxNodeSettings = Pick<
  SshTransportOptions,
  'name' | 'host' | 'user' | 'identityFile' | 'passphrase' | 'password' | 'agent' | 'sudoPassword' | 'connectTimeoutMs'
> & { port: number };

/** What the daemon reads on stdin at start (never on its command line or in its environment). */
export interface MuxDaemonSettings {
  v: number;
  socket: string;
  stateDir: string;
  knownHostsFile: string;
  idleSeconds: number;
  nodes: MuxNodeSettings[];
}

/**
 * A fingerprint of one node's settings (secrets included, so that changed credentials replace the daemon).
 * Only ever sent over the 0600 socket, never written anywhere.
 */
export function nodeSettingsHash(node: MuxNodeSettings, knownHostsFile: string): string {
  const canonical = JSON.stringify([
    MUX_PROTOCOL,
    node.name,
    node.host,
    node.port,
    node.user,
    node.identityFile ?? null,
    node.passphrase ?? null,
    node.password ?? null,
    node.agent ?? null,
    node.sudoPassword ?? null,
    node.connectTimeoutMs ?? null,
    knownHostsFile,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** The daemon's entry point (dist/scripts/transport/mux-daemon.js, next to this file). */
export const MUX_DAEMON_FILE = fileURLToPath(new URL('./mux-daemon.js', import.meta.url));

/** Which build of the daemon a file is: a daemon started from an older build is replaced. */
export function muxBuildId(file: string = MUX_DAEMON_FILE): string {
  try {
    const st = statSync(file);
    return `${MUX_PROTOCOL}:${st.size}:${Math.round(st.mtimeMs)}`;
  } catch {
    return `${MUX_PROTOCOL}:missing`;
  }
}

/** The daemon's socket: <stateDir>/mux.sock, or a short stable path under the temp dir when that is too long. */
export function muxSocketPath(stateDir: string): string {
  return socketPath(stateDir, join(stateDir, 'mux.sock'), 'mux.sock');
}

export type StdinWire = string | { b64: string };

export interface WireExecOptions {
  timeoutMs?: number;
  stdin?: StdinWire;
  asLoginUser?: boolean;
  secrets?: string[];
  logStdout?: boolean;
  maxOutputBytes?: number;
  /**
   * The client's run log folder for large outputs: the daemon, on the same machine, writes them there itself
   * (streamed, redacted), so that they never travel through the socket nor sit in either process's memory.
   */
  spillDir?: string;
}

export type MuxRequest =
  | { id: number; op: 'hello'; v: number; build: string; nodes: Record<string, string>; idleSeconds: number }
  | { id: number; op: 'exit'; force?: boolean }
  | { id: number; op: 'connect'; node: string }
  | { id: number; op: 'exec'; node: string; argv: string[]; opts: WireExecOptions }
  | {
      id: number;
      op: 'put';
      node: string;
      content: string;
      dest: string;
      opts: { mode: number; owner?: string; group?: string; secrets?: string[] };
    }
  | {
      id: number;
      op: 'putFile';
      node: string;
      /** Absolute path on the workstation: the daemon, on the same machine, reads the file itself. */
      localPath: string;
      dest: string;
      opts: { mode: number; owner?: string; group?: string; secrets?: string[] };
    }
  | { id: number; op: 'forward'; node: string; host: string; port: number }
  | { id: number; op: 'unforward'; fid: number }
  /** Interrupts the exec or upload request `ref` of this client (its signal aborted); `reason` e.g. "SIGINT". */
  | { id: number; op: 'cancel'; ref: number; reason: string };

export interface WireError {
  /** 'TransportError' (then kind/host/hint are set), 'TypeError' or 'Error'. */
  name: string;
  message: string;
  kind?: TransportErrorKind;
  host?: string;
  hint?: string;
}

export type MuxResponse =
  | { id: number; ok: true; pid?: number; match?: boolean; reason?: string; result?: ExecResult; fid?: number; localPort?: number }
  | { id: number; ok: false; error: WireError };

/** An unsolicited log record; `id` names the request it belongs to, when known. */
interface MuxLogMessage {
  log: CommandRecord;
  id?: number;
}

export type MuxServerMessage = MuxResponse | MuxLogMessage;

/**
 * Splits a byte stream into lines without re-scanning earlier chunks (outputs of tens of MB arrive in many
 * chunks). A newline byte never occurs inside a UTF-8 multi-byte sequence nor inside JSON text.
 */
export function lineReader(onLine: (line: string) => void): (chunk: Buffer) => void {
  let parts: Buffer[] = [];
  return (chunk) => {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) {
        if (start < chunk.length) parts.push(start === 0 ? chunk : chunk.subarray(start));
        return;
      }
      parts.push(chunk.subarray(start, nl));
      const line = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      parts = [];
      start = nl + 1;
      if (line.length > 0) onLine(line.toString('utf8'));
    }
  };
}
