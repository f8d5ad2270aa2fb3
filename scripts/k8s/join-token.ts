import { randomInt } from 'node:crypto';
import { StepError } from '../engine/errors.js';
import type { HostContext } from '../engine/types.js';
import { fileContent } from '../facts/file.js';
import { CLUSTER_CA } from '../facts/kubeadm-files.js';
import { waitMs } from '../inventory/timing.js';
import { initNode } from '../inventory/topology.js';
import { caCertHash } from '../render/kubeadm.js';
import { remoteFact, remoteRun } from '../engine/remote-facts.js';

/** Lifetime of the bootstrap token kubelab creates for a run's joins (kubeadm's own default is 24h). */
export const JOIN_TOKEN_TTL_MINUTES = 30;
export const JOIN_TOKEN_TTL = `${JOIN_TOKEN_TTL_MINUTES}m0s`;
/** A token is handed to a join only while it has at least this long to live (a join may take 10 minutes). */
export const JOIN_TOKEN_MIN_REMAINING_MS = 12 * 60_000;

/** kubeadm's bootstrap token format: "<id>.<secret>" ([a-z0-9]{6}.[a-z0-9]{16}, `kubeadm token generate`). */
export const BOOTSTRAP_TOKEN_PATTERN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomString(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

/**
 * A new bootstrap token, generated here rather than by `kubeadm token create` so it is known before any command
 * runs and can be passed as a secret (redacted from every log line) from the first command on.
 */
export function generateBootstrapToken(): string {
  return `${randomString(6)}.${randomString(16)}`;
}

const TOKEN_KEY = 'kubeadm:join-token';

interface TokenEntry {
  token: Promise<string>;
  createdAt: number;
}

/**
 * The bootstrap token for this run's joins, created once on the control plane (`kubeadm token create` with a
 * 30-minute TTL; the token travels on stdin, never on a command line) and shared by every worker through
 * cluster.state. A token too close to its expiry for another join is replaced by a new one.
 */
export function joinToken(host: HostContext, now: () => number = Date.now): Promise<string> {
  const state = host.cluster.state;
  const current = state.get(TOKEN_KEY) as TokenEntry | undefined;
  if (current && now() - current.createdAt < JOIN_TOKEN_TTL_MINUTES * 60_000 - JOIN_TOKEN_MIN_REMAINING_MS) {
    return current.token;
  }
  const cp = initNode(host.inv);
  const token = generateBootstrapToken();
  const created = remoteRun(
    host,
    cp,
    [
      'sh',
      '-c',
      'read -r t && exec kubeadm token create "$t" --ttl "$1" --description "$2"',
      'sh',
      JOIN_TOKEN_TTL,
      `created by kubelab to join nodes to ${host.inv.metadata.name}`,
    ],
    { what: 'kubeadm token create', stdin: `${token}\n`, secrets: [token], timeoutMs: waitMs(host.inv, 120_000) },
  ).then(() => token);
  const entry: TokenEntry = { token: created, createdAt: now() };
  state.set(TOKEN_KEY, entry);
  // a failed creation is not kept: the next worker tries again
  created.catch(() => {
    if (state.get(TOKEN_KEY) === entry) state.delete(TOKEN_KEY);
  });
  return created;
}

/** "sha256:<hex>" of the cluster CA, read from the control plane's /etc/kubernetes/pki/ca.crt (public). */
export async function clusterCaCertHash(host: HostContext): Promise<string> {
  const cp = initNode(host.inv);
  const pem = await remoteFact(host, cp, fileContent(CLUSTER_CA));
  if (pem === null) {
    throw new StepError(`${cp.name} has no ${CLUSTER_CA}: the control plane is not initialised`, 'run kubelab up --only control-plane first');
  }
  try {
    return caCertHash(pem);
  } catch (err) {
    throw new StepError(`${CLUSTER_CA} on ${cp.name} is not a PEM certificate: ${(err as Error).message}`);
  }
}
