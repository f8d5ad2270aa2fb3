import { installArtifacts, isArch } from '../artifacts/for-run.js';
import type { NodeFile } from '../engine/install-artifacts.js';
import { StepError } from '../engine/errors.js';
import type { Change, HostContext, Step } from '../engine/types.js';
import { debArchitecture } from '../facts/dpkg.js';
import { fileSha256 } from '../facts/file-sha256.js';
import { packageChanges } from '../host/apt.js';
import { uploadVerified } from '../host/verified-upload.js';

/**
 * What kubelet and kubeadm run on a node and the official packages pull in from the distribution. The kubelet
 * .deb depends on iptables, mount and util-linux (kubernetes/release cmd/krel/templates/latest/kubelet); kubeadm
 * 1.35's preflight requires ip, iptables, mount, nsenter and warns without ebtables, ethtool, socat, tc; the
 * apt.kubernetes.io packages before 1.28 also depended on conntrack, ebtables, ethtool and socat.
 */
export const KUBELET_RUNTIME_PACKAGES = ['conntrack', 'ebtables', 'ethtool', 'iproute2', 'iptables', 'mount', 'socat', 'util-linux'] as const;

/** The node's Debian architecture, checked against the ones kubelab installs binaries for. */
export async function nodeArch(host: HostContext): Promise<'amd64' | 'arm64'> {
  const arch = await host.facts.get(debArchitecture);
  if (!isArch(arch)) {
    throw new StepError(`${host.node.name} is ${arch || 'of an unknown architecture'}; release binaries are installed for amd64 and arm64 only`);
  }
  return arch;
}

/** Changes that put each file whose sha256 on the node differs (or that is missing) in place, verified. */
export async function nodeFileChanges(host: HostContext, files: readonly NodeFile[]): Promise<Change[]> {
  if (!files.length) return [];
  const sums = await host.facts.get(fileSha256(files.map((f) => f.remotePath)));
  return files
    .filter((f) => sums.get(f.remotePath) !== f.sha256)
    .map((f) => ({
      description: `${sums.has(f.remotePath) ? 'replace' : 'install'} ${f.remotePath} (${f.size} bytes)`,
      apply: (h: HostContext) => uploadVerified(h, { localPath: f.localPath, sha256: f.sha256, dest: f.remotePath, mode: f.mode, source: f.source }),
    }));
}

/**
 * `install: binaries`: kubeadm, kubelet, kubectl, crictl and the CNI plugins of the run's artifacts, uploaded and
 * verified where the packages put them; the distribution packages kubelet needs. A node with every file at the
 * right sha256 gets nothing.
 */
export const kubernetesBinariesStep: Step = {
  name: 'kubernetes-binaries',
  appliesTo: (_node, inv) => inv.spec.kubernetes.install === 'binaries',
  async plan(host) {
    const artifacts = await installArtifacts(host.cluster, await nodeArch(host));
    return [...(await packageChanges(host, KUBELET_RUNTIME_PACKAGES)), ...(await nodeFileChanges(host, artifacts.files))];
  },
};
