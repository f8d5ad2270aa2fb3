import type { RunSettings } from '../engine/types.js';
import type { Inventory, InventoryNode } from '../inventory/types.js';
import { stringifyManifests } from '../manifests/yaml.js';
import { INIT_CONFIG, INIT_HEADER } from '../steps/kubeadm-init.js';
import { JOIN_CONFIG } from '../steps/kubeadm-join.js';
import { CERTS_DIR } from '../steps/containerd-config.js';
import { renderCrictlConfig } from '../steps/crictl.js';
import { hostEntries, renderHosts } from '../steps/etc-hosts.js';
import { desiredKubePrometheus } from '../steps/addon-kube-prometheus.js';
import { desiredMetricsServer } from '../steps/addon-metrics-server.js';
import { desiredNfsProvisioner } from '../steps/addon-nfs-provisioner.js';
import { desiredFlannel } from '../steps/flannel.js';
import { K8S_MODULES, MODULES_LOAD_FILE, renderModulesLoad } from '../steps/kernel-modules.js';
import { K8S_LIST, kubernetesSourceLine } from '../steps/kubernetes-repo.js';
import { exportLine, renderExports } from '../steps/nfs.js';
import { K8S_SYSCTL, renderSysctl, SYSCTL_FILE } from '../steps/sysctl.js';
import { renderRegistryHosts } from './containerd.js';
import { initNode } from '../inventory/topology.js';
import { kubeadmYaml, renderInitConfig, renderJoinConfig } from './kubeadm.js';

/** Stands in for the bootstrap token, created only when `up` joins a node (a token is a secret). */
export const TOKEN_PLACEHOLDER = 'abcdef.placeholder000000';
export const CA_HASH_PLACEHOLDER = `sha256:${'0'.repeat(64)}`;

/** One rendered file: where it goes (a node's path, or cluster/<name>) and its content. */
export interface RenderedFile {
  /** "cluster" or a node name. */
  readonly scope: string;
  /** Absolute path on the node, or a file name for cluster-wide manifests. */
  readonly path: string;
  readonly content: string;
}

/** The exact Kubernetes version the render assumes: the inventory's, with .0 when it names only a minor. */
export function assumedVersion(inv: Inventory): string {
  const v = inv.spec.kubernetes.version;
  return /^1\.\d+\.\d+$/.test(v) ? v : `${v}.0`;
}

/**
 * Every file kubelab would upload or apply, computed from the inventory alone (nothing is read from the nodes):
 * files whose final content depends on a node's current state are rendered from a fresh node's point of view
 * (see NOTES in the command's output). Pure apart from reading the pinned manifests through the cache.
 */
export async function renderFiles(inv: Inventory, settings: RunSettings): Promise<RenderedFile[]> {
  const files: RenderedFile[] = [];
  const add = (scope: string, path: string, content: string): void => void files.push({ scope, path, content });
  const version = assumedVersion(inv);
  const cp = initNode(inv);

  for (const node of inv.spec.nodes) {
    add(node.name, '/etc/hostname', `${node.name}\n`);
    add(node.name, '/etc/hosts', renderHosts('127.0.0.1 localhost\n', hostEntries(inv)));
    add(node.name, MODULES_LOAD_FILE, renderModulesLoad(K8S_MODULES));
    add(node.name, SYSCTL_FILE, renderSysctl(K8S_SYSCTL));
    add(node.name, '/etc/crictl.yaml', renderCrictlConfig());
    for (const [registry, mirrors] of Object.entries(inv.spec.runtime.registryMirrors)) {
      add(node.name, `${CERTS_DIR}/${registry}/hosts.toml`, renderRegistryHosts(registry, mirrors));
    }
    add(node.name, K8S_LIST, kubernetesSourceLine(inv));
    if (inv.spec.nfs?.server === node.name) {
      add(node.name, '/etc/exports', renderExports('', inv.spec.nfs.path, exportLine(inv)));
    }
    if (node.name === cp.name) {
      add(node.name, INIT_CONFIG, INIT_HEADER + kubeadmYaml(renderInitConfig(inv, node, { kubernetesVersion: version })));
    } else if (node.role === 'worker') {
      add(node.name, JOIN_CONFIG, joinYaml(inv, node, version));
    }
  }
  // offline, the NIC names are unknown: flannel's --iface also takes the address the NIC holds
  const flannel = await desiredFlannel({ inv, settings }, inv.spec.nodes.map((n) => n.address));
  add('cluster', 'flannel.yaml', stringifyManifests(flannel));
  const cluster = { inv, settings };
  const { addons } = inv.spec;
  if (addons.nfsProvisioner.enabled) add('cluster', 'addons/nfs-provisioner.yaml', stringifyManifests(await desiredNfsProvisioner(cluster)));
  if (addons.metricsServer.enabled) add('cluster', 'addons/metrics-server.yaml', stringifyManifests(await desiredMetricsServer(cluster)));
  if (addons.monitoring.enabled) {
    const staged = await desiredKubePrometheus(cluster);
    add('cluster', 'addons/kube-prometheus-setup.yaml', stringifyManifests(staged.setup));
    add('cluster', 'addons/kube-prometheus.yaml', stringifyManifests(staged.main));
  }
  return files;
}

function joinYaml(inv: Inventory, node: InventoryNode, version: string): string {
  return kubeadmYaml([renderJoinConfig(inv, node, { kubernetesVersion: version, token: TOKEN_PLACEHOLDER, caCertHash: CA_HASH_PLACEHOLDER })]);
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
