import { createHash, X509Certificate } from 'node:crypto';
import { stringify } from 'yaml';
import type { Inventory, InventoryNode } from '../inventory/types.js';
import { API_SERVER_PORT, apiServerEndpoint, controlPlaneEndpoint, CRI_SOCKET, kubeletServingBootstrap } from '../inventory/topology.js';
import { emulatedLab, kubeletHousekeepingInterval, scaledProbe, waitMs } from '../inventory/timing.js';
import { minorOf } from '../inventory/versions.js';
import { KubelabError } from '../util/errors.js';

/**
 * kubeadm configuration rendered from the inventory as plain objects (then YAML), for the kubeadm config API
 * v1beta3 (Kubernetes 1.30) and v1beta4 (1.31+). Field layout from kubeadm's own types
 * (cmd/kubeadm/app/apis/kubeadm/v1beta{3,4}/types.go, kubernetes.io/docs/reference/config-api/kubeadm-config.*):
 * v1beta4 turned extraArgs and kubeletExtraArgs from maps into lists of {name, value} and gathered kubeadm's
 * timeouts under `timeouts` (InitConfiguration, JoinConfiguration): rendered, scaled by spec.timing.waitFactor,
 * only when that factor is above 1; v1beta3 keeps kubeadm's defaults.
 */

export const DEFAULT_IMAGE_REPOSITORY = 'registry.k8s.io';
export const KUBELET_API_VERSION = 'kubelet.config.k8s.io/v1beta1';

export type KubeadmApiVersion = 'kubeadm.k8s.io/v1beta3' | 'kubeadm.k8s.io/v1beta4';

/** A kubeadm config document: apiVersion, kind and fields, as plain data. */
export type KubeadmDocument = { apiVersion: string; kind: string } & Record<string, unknown>;

/** v1beta4 argument lists; v1beta3 used maps. */
export type ExtraArgs = { name: string; value: string }[] | Record<string, string>;

/** "1.35.2", "v1.35.2" (as `kubeadm version -o short` prints it, maybe with a newline) -> "v1.35.2". */
export function kubernetesVersionTag(version: string): string {
  const v = version.trim();
  const m = /^v?(1\.\d+\.\d+)$/.exec(v);
  if (!m) {
    throw new KubelabError(
      `not an exact Kubernetes version (like v1.35.2): ${JSON.stringify(version)}`,
      'give spec.kubernetes.version as 1.35 or 1.35.2, and check what `kubeadm version -o short` prints on the node',
    );
  }
  return `v${m[1]}`;
}

function minorOfTag(version: string): number {
  return Number(kubernetesVersionTag(version).split('.')[1]);
}

/** kubeadm.k8s.io/v1beta4 from Kubernetes 1.31, v1beta3 before. */
export function kubeadmApiVersion(kubernetesVersion: string): KubeadmApiVersion {
  return minorOfTag(kubernetesVersion) >= 31 ? 'kubeadm.k8s.io/v1beta4' : 'kubeadm.k8s.io/v1beta3';
}

/**
 * Whether the kubeadm installed on a node fits the inventory: "1.35" accepts any 1.35.x, "1.35.2" only v1.35.2.
 */
export function versionMatches(inventoryVersion: string, installed: string): boolean {
  const tag = kubernetesVersionTag(installed);
  return /^1\.\d+\.\d+$/.test(inventoryVersion)
    ? tag === `v${inventoryVersion}`
    : tag.startsWith(`v${inventoryVersion}.`);
}

/** Flags in the shape of the API version: v1beta4 lists of {name, value}, v1beta3 maps. */
export function extraArgs(apiVersion: KubeadmApiVersion, args: Record<string, string>): ExtraArgs {
  if (apiVersion === 'kubeadm.k8s.io/v1beta3') return { ...args };
  return Object.entries(args).map(([name, value]) => ({ name, value }));
}

/**
 * kubeadm v1beta4's timeouts and their defaults in seconds (cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go, Timeouts;
 * upgradeManifests left out: kubelab does not upgrade). Both InitConfiguration and JoinConfiguration carry them.
 */
export const KUBEADM_TIMEOUT_DEFAULTS_S: Readonly<Record<string, number>> = Object.freeze({
  controlPlaneComponentHealthCheck: 240,
  kubeletHealthCheck: 240,
  kubernetesAPICall: 60,
  etcdAPICall: 120,
  tlsBootstrap: 300,
  discovery: 300,
});

/** `timeouts` for v1beta4 when spec.timing.waitFactor is above 1 (each default times the factor), else nothing. */
export function kubeadmTimeouts(apiVersion: KubeadmApiVersion, inv: Inventory): Record<string, string> | undefined {
  if (apiVersion !== 'kubeadm.k8s.io/v1beta4' || inv.spec.timing.waitFactor <= 1) return undefined;
  return Object.fromEntries(Object.entries(KUBEADM_TIMEOUT_DEFAULTS_S).map(([k, s]) => [k, `${Math.round(waitMs(inv, s * 1000) / 1000)}s`]));
}

/** The lifetime of the bootstrap token kubeadm init makes (unused by kubelab: joins use tokens of their own). */
export const INIT_BOOTSTRAP_TOKEN_TTL = '10m0s';

/** Where the static-pod patches of an emulated lab go (InitConfiguration.patches.directory). */
export const KUBEADM_PATCHES_DIR = '/etc/kubernetes/kubelab/patches';

/** The static pods kubeadm writes on a control-plane node (its patch targets). */
const STATIC_POD_TARGETS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;

/**
 * The static pods whose readiness probe kubeadm v1.35 writes with periodSeconds 1 (timeoutSeconds 15,
 * failureThreshold 3), read off the manifests the real kubeadm v1.35.4 wrote on the e2e lab. An emulated lab probes
 * them every 10 s instead: each probe of the API server and the scheduler is an HTTPS request with a TLS handshake
 * of its own, and the API server's /readyz also reads etcd: three probes a second in all, on a control plane whose
 * kubelet (67 %) and API server (58 % of a vCPU, over a minute after a reboot) were its busiest processes. The
 * readiness of these pods gates no traffic (the API server publishes its own endpoint). Patched from 1.35 only: a
 * strategic patch on a probe that a kubeadm release does not write would make one without a handler, and older
 * releases were not read.
 */
const READINESS_PROBE_TARGETS = ['etcd', 'kube-apiserver', 'kube-scheduler'] as const;
const READINESS_PATCH_FROM_MINOR = 35;
export const EMULATED_READINESS_PERIOD_S = 10;

/**
 * kubeadm's probes of its static pods (cmd/kubeadm/app/util/staticpod/utils.go: timeoutSeconds 15, periodSeconds
 * 10, liveness failureThreshold 8, startup failureThreshold 24). Under emulation the API server needs minutes to
 * answer /livez and was killed by its liveness probe before it could (seen on the qemu lab: attempt 3 after 16
 * minutes): an emulated lab scales the failure thresholds by spec.timing.waitFactor and allows each probe up to
 * 60 s, through kubeadm patches (strategic merge, one file per static pod).
 */
export function staticPodProbePatches(inv: Inventory): { path: string; content: string }[] {
  if (!emulatedLab(inv)) return [];
  const readiness: readonly string[] = minorOf(inv.spec.kubernetes.version) >= READINESS_PATCH_FROM_MINOR ? READINESS_PROBE_TARGETS : [];
  return STATIC_POD_TARGETS.map((name) => ({
    path: `${KUBEADM_PATCHES_DIR}/${name}+strategic.yaml`,
    content: stringify({
      spec: {
        containers: [
          {
            name,
            livenessProbe: scaledProbe(inv, 15, 8),
            ...(readiness.includes(name) ? { readinessProbe: { periodSeconds: EMULATED_READINESS_PERIOD_S, ...scaledProbe(inv, 15, 3) } } : {}),
            startupProbe: scaledProbe(inv, 15, 24),
          },
        ],
      },
    }),
  }));
}

/**
 * Flags of the controller-manager and the scheduler. Prometheus scrapes both from other nodes: they listen on
 * 127.0.0.1 by default. In an emulated lab leader election is off: its lease renewals (10 s deadline) miss under
 * emulation and each miss makes the component exit and restart; with one control-plane node (a rule refuses more)
 * there is no other instance to elect.
 */
function controlPlaneComponentArgs(inv: Inventory): Record<string, string> {
  return { 'bind-address': '0.0.0.0', ...(emulatedLab(inv) ? { 'leader-elect': 'false' } : {}) };
}

/** kube-apiserver's own default for its etcd health and readiness checks (--etcd-healthcheck-timeout, --etcd-readycheck-timeout). */
export const ETCD_CHECK_TIMEOUT_DEFAULT_S = 2;

/**
 * The API server's etcd checks in /livez and /readyz: 2 s by default, times spec.timing.waitFactor (at most 30 s)
 * in an emulated lab. On the 2-VM qemu lab the 2 s check failed 5 times in 6 with etcd answering in a few seconds:
 * /livez said "etcd failed" though every request went through in the end, the API server's liveness probe failed
 * with it, and kubelab's health read took the working control plane for a broken one. Undefined: kubeadm's flags.
 */
export function etcdCheckTimeoutS(inv: Inventory): number | undefined {
  if (!emulatedLab(inv)) return undefined;
  return Math.max(ETCD_CHECK_TIMEOUT_DEFAULT_S, Math.min(30, Math.round(ETCD_CHECK_TIMEOUT_DEFAULT_S * inv.spec.timing.waitFactor)));
}

function apiServerArgs(inv: Inventory): Record<string, string> {
  const s = etcdCheckTimeoutS(inv);
  return s === undefined ? {} : { 'etcd-healthcheck-timeout': `${s}s`, 'etcd-readycheck-timeout': `${s}s` };
}

function nodeRegistration(inv: Inventory, apiVersion: KubeadmApiVersion, node: InventoryNode): Record<string, unknown> {
  const housekeeping = kubeletHousekeepingInterval(inv);
  return {
    name: node.name,
    criSocket: CRI_SOCKET,
    // every VM has 10.0.2.15 on its NAT adapter: without node-ip the kubelet would claim that address
    kubeletExtraArgs: extraArgs(apiVersion, { 'node-ip': node.address, ...(housekeeping ? { 'housekeeping-interval': housekeeping } : {}) }),
  };
}

/** True for a lab without workers: its control plane is not tainted, so workloads (addons, checks) run there. */
export function workloadsOnControlPlane(inv: Inventory): boolean {
  return !inv.spec.nodes.some((n) => n.role === 'worker');
}

export interface InitOptions {
  /** The exact version installed on the node (`kubeadm version -o short`), e.g. "v1.35.2" or "1.35.2". */
  kubernetesVersion: string;
  /**
   * KubeletConfiguration serverTLSBootstrap: kubelets request serving certificates from the cluster CA (the
   * kubernetes.io/kubelet-serving CSRs then need approving). Default: kubeletServingBootstrap(inv).
   */
  serverTLSBootstrap?: boolean;
}

/** InitConfiguration, ClusterConfiguration and KubeletConfiguration for `kubeadm init` on `node`. */
export function renderInitConfig(inv: Inventory, node: InventoryNode, opts: InitOptions): KubeadmDocument[] {
  const apiVersion = kubeadmApiVersion(opts.kubernetesVersion);
  const k = inv.spec.kubernetes;
  const repository = k.imageRepository.replace(/\/+$/, '');

  const init: KubeadmDocument = {
    apiVersion,
    kind: 'InitConfiguration',
    localAPIEndpoint: { advertiseAddress: node.address, bindPort: API_SERVER_PORT },
    // a lab without workers (a single-node lab) runs its workloads on the control plane: `taints: []` is kubeadm's
    // way to leave out the node-role.kubernetes.io/control-plane:NoSchedule taint
    nodeRegistration: { ...nodeRegistration(inv, apiVersion, node), ...(workloadsOnControlPlane(inv) ? { taints: [] } : {}) },
    // kubeadm init makes a bootstrap token valid for 24 h when none is configured; kubelab never uses it (each
    // join gets its own 30-minute token), so the one init makes expires soon instead of lingering for a day.
    bootstrapTokens: [{ ttl: INIT_BOOTSTRAP_TOKEN_TTL, description: 'made by kubeadm init; kubelab joins nodes with tokens of their own' }],
  };
  const timeouts = kubeadmTimeouts(apiVersion, inv);
  if (timeouts) init.timeouts = timeouts;
  if (emulatedLab(inv)) init.patches = { directory: KUBEADM_PATCHES_DIR };

  const cluster: KubeadmDocument = {
    apiVersion,
    kind: 'ClusterConfiguration',
    kubernetesVersion: kubernetesVersionTag(opts.kubernetesVersion),
    controlPlaneEndpoint: controlPlaneEndpoint(inv),
    networking: { podSubnet: k.podSubnet, serviceSubnet: k.serviceSubnet },
    imageRepository: repository,
    controllerManager: { extraArgs: extraArgs(apiVersion, controlPlaneComponentArgs(inv)) },
    scheduler: { extraArgs: extraArgs(apiVersion, controlPlaneComponentArgs(inv)) },
  };
  const apiArgs = apiServerArgs(inv);
  if (Object.keys(apiArgs).length) cluster.apiServer = { extraArgs: extraArgs(apiVersion, apiArgs) };
  // Under emulation every TLS handshake's RSA-2048 signature costs tens of milliseconds of emulated CPU, and
  // the control plane's clients handshake constantly while it starts: ECDSA P-256 keys sign ~20 times cheaper.
  if (apiVersion === 'kubeadm.k8s.io/v1beta4' && emulatedLab(inv)) cluster.encryptionAlgorithm = 'ECDSA-P256';
  if (repository !== DEFAULT_IMAGE_REPOSITORY) {
    // CoreDNS from the same mirror with the flattened path <repo>/coredns:vX (kubeadm nests it as
    // coredns/coredns only on registry.k8s.io; images.go GetDNSImage). Said explicitly so the pull list is plain.
    cluster.dns = { imageRepository: repository };
  }

  const kubelet: KubeadmDocument = {
    apiVersion: KUBELET_API_VERSION,
    kind: 'KubeletConfiguration',
    cgroupDriver: 'systemd',
  };
  if (opts.serverTLSBootstrap ?? kubeletServingBootstrap(inv)) kubelet.serverTLSBootstrap = true;

  return [init, cluster, kubelet];
}

export interface JoinOptions {
  /** The exact version of kubeadm on the joining node. */
  kubernetesVersion: string;
  /** Bootstrap token [a-z0-9]{6}.[a-z0-9]{16}: a secret. */
  token: string;
  /** "sha256:<hex>" of the cluster CA's public key (caCertHash). */
  caCertHash: string;
}

/** JoinConfiguration for a worker: bootstrap-token discovery pinned to the cluster CA, the worker's node-ip. */
export function renderJoinConfig(inv: Inventory, node: InventoryNode, opts: JoinOptions): KubeadmDocument {
  const apiVersion = kubeadmApiVersion(opts.kubernetesVersion);
  const timeouts = kubeadmTimeouts(apiVersion, inv);
  return {
    apiVersion,
    kind: 'JoinConfiguration',
    discovery: {
      bootstrapToken: {
        apiServerEndpoint: apiServerEndpoint(inv),
        token: opts.token,
        caCertHashes: [opts.caCertHash],
      },
    },
    nodeRegistration: nodeRegistration(inv, apiVersion, node),
    ...(timeouts ? { timeouts } : {}),
  };
}

/** Stands in for the bootstrap token where the inventory alone is rendered (a token is a secret, made by `up`). */
export const TOKEN_PLACEHOLDER = 'abcdef.placeholder000000';
export const CA_HASH_PLACEHOLDER = `sha256:${'0'.repeat(64)}`;

/** Documents as one multi-document YAML file. */
export function kubeadmYaml(docs: readonly KubeadmDocument[]): string {
  return docs.map((d) => stringify(d)).join('---\n');
}

/**
 * The CA pin kubeadm join expects: "sha256:" + hex SHA-256 of the certificate's SubjectPublicKeyInfo (DER),
 * as `openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum` computes it (create-cluster-kubeadm page).
 */
export function caCertHash(pem: string): string {
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}
