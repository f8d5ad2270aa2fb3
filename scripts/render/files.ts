import { stepsFor } from '../engine/run.js';
import type { Phase, RunSettings } from '../engine/types.js';
import type { Inventory } from '../inventory/types.js';
import { assumedVersion } from '../inventory/versions.js';

/** One rendered file: where it goes (a node's path, or cluster/<name>) and its content. */
export interface RenderedFile {
  /** "cluster" or a node name. */
  readonly scope: string;
  /** Absolute path on the node, or a file name for cluster-wide manifests. */
  readonly path: string;
  readonly content: string;
}

/**
 * Every file kubelab would upload or apply, computed from the inventory alone (nothing is read from the nodes):
 * what each step of `phases` declares it manages (Step.files) on each node the step runs on; node by node in
 * inventory order, each in run order, then the cluster-wide manifests. Files whose final content depends on a
 * node's current state are rendered from a fresh node's point of view (see NOTES in the command's output).
 * Pure apart from reading the pinned manifests through the cache.
 */
export async function renderFiles(inv: Inventory, settings: RunSettings, phases: readonly Phase[]): Promise<RenderedFile[]> {
  const nodeFiles: RenderedFile[] = [];
  const clusterFiles: RenderedFile[] = [];
  for (const node of inv.spec.nodes) {
    for (const phase of phases) {
      if (!(phase.hosts?.(inv) ?? inv.spec.nodes).some((n) => n.name === node.name)) continue;
      for (const step of stepsFor(phase, node, inv)) {
        for (const f of (await step.files?.({ inv, node, settings })) ?? []) {
          if (f.scope === 'cluster') clusterFiles.push({ scope: 'cluster', path: f.path, content: f.content });
          else nodeFiles.push({ scope: node.name, path: f.path, content: f.content });
        }
      }
    }
  }
  return [...nodeFiles, ...clusterFiles];
}

/** What a render made from the inventory alone cannot know, said next to the files. */
export function renderNotes(inv: Inventory): string {
  return `# What \`kubelab render\` wrote, and what it assumed

Rendered from ${inv.metadata.name}'s inventory alone: nothing was read from, or changed on, any node.
Where \`kubelab up\` computes a file from a node's current state, this render shows a fresh node:

- etc/hosts: kubelab rewrites only its managed block inside the node's own /etc/hosts (and removes node
  names mapped to other addresses); here the block is shown in a minimal file.
- etc/exports: one managed entry in the node's own /etc/exports; shown alone.
- kubeadm-init.yaml / kubeadm-join.yaml: kubernetesVersion v${assumedVersion(inv)} is assumed; \`up\` uses the exact
  version of the kubeadm installed on the node. The JoinConfiguration's token and CA hash are placeholders:
  \`up\` creates a bootstrap token valid 30 minutes and reads the CA from the control plane, and never writes
  them anywhere but the node (mode 0600, removed after the join).
- flannel.yaml: --iface names the host-only address of each node (flanneld picks the NIC that holds it);
  \`up\` detects the NIC names from each node (e.g. --iface=eth1 / --iface=enp0s8).
- /etc/containerd/config.toml is not rendered: \`up\` generates it from the node's own
  \`containerd config default\` (SystemdCgroup = true, sandbox image, certs.d). Docker's apt source, /etc/fstab
  and the swap units also depend on the node.
`;
}
