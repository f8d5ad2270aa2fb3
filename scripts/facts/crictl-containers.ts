import type { Fact } from '../engine/types.js';
import { CRI_SOCKET } from '../inventory/topology.js';

export interface CriContainer {
  name: string;
  /** CONTAINER_RUNNING, CONTAINER_EXITED, CONTAINER_CREATED, CONTAINER_UNKNOWN */
  state: string;
  attempt: number;
  createdAt: number;
}

interface CrictlPs {
  containers?: { metadata?: { name?: string; attempt?: number }; state?: string; createdAt?: string }[];
}

/** Parses `crictl ps -a -o json`: the containers, newest first. */
export function parseCrictlPs(stdout: string): CriContainer[] {
  const doc = JSON.parse(stdout || '{}') as CrictlPs;
  return (doc.containers ?? [])
    .map((c) => ({ name: c.metadata?.name ?? '', state: c.state ?? '', attempt: c.metadata?.attempt ?? 0, createdAt: Number(c.createdAt ?? 0) }))
    .sort((a, b) => b.createdAt - a.createdAt);
}

/**
 * The containers named `name` the CRI knows (running and exited), e.g. a static pod's kube-apiserver: read
 * through containerd's socket, whether or not the API server answers. null when crictl is missing or fails.
 */
export function criContainers(name: string): Fact<{ containers: CriContainer[] } | { error: string }> {
  return {
    key: `crictl-ps:${name}`,
    argv: ['sh', '-c', 'command -v crictl >/dev/null || { echo "crictl not found" >&2; exit 127; }; exec crictl --runtime-endpoint "$1" ps -a --name "$2" -o json', 'sh', CRI_SOCKET, `^${name}$`],
    okCodes: [0, 1, 127],
    parse: (r) => (r.code === 0 ? { containers: parseCrictlPs(r.stdout) } : { error: (r.stderr || r.stdout).trim().split('\n').pop() ?? `exit ${r.code}` }),
  };
}
