/**
 * A record on the node that kubelab's own `kubeadm init` or `kubeadm join` started and has not finished: written
 * just before kubeadm runs, removed once it exits 0. A node with kubeadm's files and this record was left by an
 * interrupted or failed run of kubelab, on a cluster nothing else uses yet: the next `up` resets it and runs
 * kubeadm again (the guide: a failure halfway leaves hosts in a state the next run completes). Without the record,
 * kubeadm's files belong to someone else's attempt and kubelab still refuses to reset them.
 *
 * The record is only read on a node that has kubeadm's files: a fresh node's plan asks nothing more.
 */
import type { Change, Fact, HostContext } from '../engine/types.js';
import { fileContent } from '../facts/file.js';
import { CRI_SOCKET } from '../inventory/topology.js';

export type KubeadmCommand = 'init' | 'join';

const DIR = '/etc/kubernetes/kubelab';

export function unfinishedPath(command: KubeadmCommand): string {
  return `${DIR}/kubeadm-${command}-unfinished.json`;
}

/** The record's content, or null when there is none. */
export function unfinishedFact(command: KubeadmCommand): Fact<string | null> {
  return fileContent(unfinishedPath(command));
}

interface Record {
  command: string;
  startedAt: string;
}

/** When the unfinished run started, as the record says it ("at an unknown time" when it cannot be read). */
export function startedAt(content: string): string {
  try {
    const r = JSON.parse(content) as Partial<Record>;
    if (typeof r.startedAt === 'string' && !Number.isNaN(Date.parse(r.startedAt))) return `started ${r.startedAt}`;
  } catch {
    // a record cut short by the interrupt: still a record
  }
  return 'started at an unknown time';
}

/** Writes the record (before kubeadm runs). */
export async function markStarted(h: HostContext, command: KubeadmCommand, now: Date = new Date()): Promise<void> {
  const record: Record = { command: `kubeadm ${command}`, startedAt: now.toISOString() };
  await h.transport.put(`${JSON.stringify(record)}\n`, unfinishedPath(command), { mode: 0o600 });
}

/** Removes the record (kubeadm exited 0). */
export async function markFinished(h: HostContext, command: KubeadmCommand): Promise<void> {
  await h.run(['rm', '-f', '--', unfinishedPath(command)]);
}

/**
 * How a node is started over: `kubeadm reset`, then what reset leaves (the CNI configuration and, when it cannot
 * read the cluster's configuration on a half-initialised node, etcd's data directory), then a containerd restart:
 * containerd 1.6 watches /etc/cni/net.d from its start, and once the folder is removed it never sees the network's
 * new configuration there (the class e2e's node stayed NotReady, "cni plugin not initialized", with flannel's
 * conflist in place, until containerd restarted).
 */
export const RESET_ARGV: readonly (readonly string[])[] = [
  ['kubeadm', 'reset', '-f', '--cri-socket', CRI_SOCKET],
  ['rm', '-rf', '/etc/cni/net.d', '/var/lib/etcd'],
  ['systemctl', 'restart', 'containerd'],
];

/**
 * Undoes what an unfinished kubeadm run left (RESET_ARGV). The record stays until kubeadm's next run finishes, so
 * an interrupted reset is reset again.
 */
export function resetUnfinished(node: string, command: KubeadmCommand, record: string): Change {
  return {
    description: `kubeadm reset on ${node}: kubelab's kubeadm ${command} there did not finish (${startedAt(record)}), so it runs again from a clean node`,
    apply: async (h) => {
      for (const argv of RESET_ARGV) await h.run(argv);
    },
  };
}

/** Removes the record of a run whose work turned out done (the Node it was to register is there). */
export function forgetUnfinished(node: string, command: KubeadmCommand): Change {
  return {
    description: `kubeadm ${command} on ${node} did finish (its Node is registered): the record of an unfinished run removed`,
    apply: (h) => markFinished(h, command),
  };
}
