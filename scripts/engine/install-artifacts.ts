/**
 * What the Kubernetes install of an inventory needs on its nodes, prepared on the workstation: downloaded once
 * into a verified cache (or read from an offline bundle), then uploaded to each node and verified there.
 * Producers: artifacts/ (release binaries, tarballs, OCI images). Consumers: the install steps, through
 * RunSettings.installArtifacts (engine/types.ts), which is why these types live in engine/.
 */

/** A file a node receives, already verified on the workstation. */
export interface NodeFile {
  /** Where the workstation holds the verified bytes. */
  readonly localPath: string;
  /** Lower-case hex. */
  readonly sha256: string;
  readonly size: number;
  /** Absolute path on the node, e.g. /usr/bin/kubeadm, /opt/cni/bin/bridge. */
  readonly remotePath: string;
  readonly mode: number;
  /** Where it came from, for messages: a URL, or the bundle file. */
  readonly source: string;
}

/** A container image for containerd's k8s.io namespace, as an OCI image archive `ctr images import` reads. */
export interface NodeImage {
  /** Full reference as containerd names it, e.g. registry.k8s.io/pause:3.10.1. */
  readonly ref: string;
  /** Manifest digest (sha256:<hex>) of the node's platform, what `ctr -n k8s.io images ls` shows. */
  readonly digest: string;
  readonly archivePath: string;
  /** Lower-case hex sha256 of the archive file. */
  readonly archiveSha256: string;
  readonly size: number;
}

export interface InstallArtifacts {
  /** Exact version, e.g. "1.35.4" (a minor-only inventory version resolved through stable-1.N.txt). */
  readonly kubernetesVersion: string;
  readonly files: readonly NodeFile[];
  /** Empty when images are pulled by the nodes from registries (no bundle). */
  readonly images: readonly NodeImage[];
}

/** Node architectures kubelab installs for (Debian's names, as `dpkg --print-architecture` prints them). */
export type Arch = 'amd64' | 'arm64';
