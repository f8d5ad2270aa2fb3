/** The normalised, frozen inventory handed to the rest of kubelab (defaults filled, SSH resolved per node). */
import type { Problem } from './errors.js';

export type { Problem };

export type NodeRole = 'control-plane' | 'worker';

/** spec.ssh after defaults: what every node inherits. Paths are absolute ('~' and relative paths resolved). */
export interface SshDefaults {
  readonly user: string;
  readonly port: number;
  readonly identityFile?: string;
  readonly passphraseEnv?: string;
  readonly passwordEnv?: string;
  readonly askPassword: boolean;
  /** Unset means: use the agent when SSH_AUTH_SOCK is set. */
  readonly agent?: boolean;
  readonly sudoPasswordEnv?: string;
  /** Seconds allowed for reaching the node over SSH (handshake and retries included); default 10. */
  readonly connectTimeout: number;
}

/** How to reach one node: node.ssh over spec.ssh; host defaults to the node address. */
export interface NodeSsh extends SshDefaults {
  readonly host: string;
}

export interface InventoryNode {
  readonly name: string;
  readonly role: NodeRole;
  /** Address on the host-only network (inside spec.network.nodeCidr). */
  readonly address: string;
  readonly ssh: NodeSsh;
}

export interface KubernetesSpec {
  /** "1.N" or "1.N.P", always a string. */
  readonly version: string;
  readonly podSubnet: string;
  readonly serviceSubnet: string;
  readonly controlPlaneEndpoint?: string;
  readonly imageRepository: string;
  /** Base URL without trailing slash; append `/v1.N/deb/`. */
  readonly packageRepository: string;
  /** 'binaries': release binaries prepared on the workstation and uploaded; 'packages': pkgs.k8s.io on every node. */
  readonly install: 'binaries' | 'packages';
  /** Absolute path of an offline bundle folder (`kubelab bundle build`). */
  readonly bundle?: string;
}

/** Download mirrors (base URLs without trailing slash) standing for https://dl.k8s.io and https://github.com. */
export interface MirrorsSpec {
  readonly kubernetesReleases?: string;
  readonly githubReleases?: string;
}

export interface RuntimeSpec {
  readonly containerd: { readonly source: 'distro' | 'docker' };
  readonly docker: boolean;
  readonly registryMirrors: Readonly<Record<string, readonly string[]>>;
}

export interface NfsSpec {
  /** Name of a node in spec.nodes. */
  readonly server: string;
  readonly path: string;
}

export interface NfsProvisionerSpec {
  /** Default: true when spec.nfs is set (enabling it without spec.nfs is an inventory error). */
  readonly enabled: boolean;
  readonly archiveOnDelete: boolean;
  readonly namespace: string;
  /** StorageClass name. */
  readonly storageClass: string;
  /** Marked as the cluster's default StorageClass. */
  readonly default: boolean;
  /** Image override, used as given (else the pinned image under spec.kubernetes.imageRepository). */
  readonly image?: string;
}

export interface MetricsServerSpec {
  readonly enabled: boolean;
  /** 'insecure': --kubelet-insecure-tls; 'bootstrap': kubelet serving certificates from the cluster CA. */
  readonly tls: 'insecure' | 'bootstrap';
  /** Image override, used as given (else the pinned image under spec.kubernetes.imageRepository). */
  readonly image?: string;
}

export interface MonitoringSpec {
  /** kube-prometheus; off by default (about 4 GiB of memory per VM). */
  readonly enabled: boolean;
  readonly grafanaNodePort: number;
  readonly prometheusNodePort: number;
}

/** spec.addons with every default filled. */
export interface AddonsSpec {
  readonly nfsProvisioner: NfsProvisionerSpec;
  readonly metricsServer: MetricsServerSpec;
  readonly monitoring: MonitoringSpec;
}

/** spec.network: the host-only network and the pod network's image overrides. */
export interface NetworkSpec {
  readonly nodeCidr: string;
  readonly flannel: {
    /** The flannel daemon's image (containers kube-flannel and install-cni), used as given. */
    readonly image?: string;
    /** The flannel CNI plugin's image (init container install-cni-plugin), used as given. */
    readonly cniPluginImage?: string;
  };
}

export interface ChecksSpec {
  /** The smoke checks' pod image, used as given (default agnhost 2.59). */
  readonly image: string;
}

/**
 * How long kubelab and kubeadm wait. 'emulated': VMs under software emulation (leader election off for the
 * controller-manager and scheduler, waitFactor 4 unless given). waitFactor multiplies every kubelab wait and,
 * above 1, kubeadm's own v1beta4 timeouts.
 */
export interface TimingSpec {
  readonly profile: 'standard' | 'emulated';
  readonly waitFactor: number;
}

export type ProviderImage =
  | { readonly type: 'debootstrap'; readonly suite: string; readonly mirror: string }
  /** path is absolute ('~' and relative paths resolved). */
  | { readonly type: 'cloud'; readonly path: string };

export interface ProviderSpec {
  readonly type: 'qemu';
  /** MiB per VM. */
  readonly memory: number;
  readonly cpus: number;
  /** Worker VMs' own size (each field defaults to the one above). */
  readonly workers?: { readonly memory?: number; readonly cpus?: number };
  readonly image: ProviderImage;
  /** Node i (in spec.nodes order) is reached on 127.0.0.1:sshPortBase+i. */
  readonly sshPortBase: number;
  readonly accel: 'auto' | 'kvm' | 'tcg';
  /** NAT adapter restricted: the VMs reach nothing outside but hostPorts (127.0.0.1 of the workstation) at 10.0.2.2. */
  readonly isolated: boolean;
  readonly hostPorts: readonly number[];
  /** qemu drive cache: writeback (guest flushes reach the host disk) or unsafe (ignored: fast etcd, lost on a host crash). */
  readonly diskCache: 'writeback' | 'unsafe';
}

export interface Inventory {
  readonly apiVersion: 'kubelab/v1';
  readonly kind: 'Cluster';
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly kubernetes: KubernetesSpec;
    readonly network: NetworkSpec;
    readonly ssh: SshDefaults;
    readonly nodes: readonly InventoryNode[];
    readonly runtime: RuntimeSpec;
    readonly mirrors: MirrorsSpec;
    readonly nfs?: NfsSpec;
    readonly addons: AddonsSpec;
    readonly checks: ChecksSpec;
    readonly timing: TimingSpec;
    readonly provider?: ProviderSpec;
  };
}
