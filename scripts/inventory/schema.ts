/**
 * The inventory schema (zod 4): field types, formats, defaults and unknown-key refusal.
 * Rules that relate several fields (uniqueness, containment, overlaps, ...) live in rules.ts.
 * The same schema generates inventory/schema.json (see json-schema.ts).
 */
import { z } from 'zod';
import { CONNECT_TIMEOUT_RANGE_S } from '../transport/types.js';
import { parseCidr, parseIPv4 } from './net.js';

export const API_VERSION = 'kubelab/v1';
export const KIND = 'Cluster';

/** Supported Kubernetes minor versions, "1.30" ... "1.36". */
export const SUPPORTED_MINORS: readonly number[] = Object.freeze([30, 31, 32, 33, 34, 35, 36]);
export const SUPPORTED_VERSIONS: readonly string[] = Object.freeze(SUPPORTED_MINORS.map((m) => `1.${m}`));
/** "1.N" or "1.N.P". */
export const VERSION_PATTERN = /^1\.(0|[1-9]\d*)(\.(0|[1-9]\d*))?$/;

export const DEFAULTS = Object.freeze({
  podSubnet: '10.244.0.0/16',
  serviceSubnet: '10.96.0.0/12',
  imageRepository: 'registry.k8s.io',
  packageRepository: 'https://pkgs.k8s.io/core:/stable:',
  install: 'binaries',
  sshUser: 'root',
  sshPort: 22,
  /** spec.ssh.connectTimeout, seconds. */
  sshConnectTimeout: 10,
  nfsPath: '/srv/nfs/k8s',
  containerdSource: 'distro',
  memory: 2048,
  cpus: 2,
  debootstrapSuite: 'bookworm',
  debootstrapMirror: 'http://deb.debian.org/debian',
  sshPortBase: 2220,
  accel: 'auto',
  nfsProvisionerNamespace: 'nfs-provisioner',
  nfsStorageClass: 'nfs-client',
  grafanaNodePort: 30300,
  prometheusNodePort: 30090,
  /** The smoke checks' image: agnhost as Kubernetes v1.35's own e2e tests use it (sh, curl, dig, /agnhost netexec). */
  checkImage: 'registry.k8s.io/e2e-test-images/agnhost:2.59',
  timingProfile: 'standard',
  /** spec.timing.waitFactor when not given, per profile. */
  waitFactor: { standard: 1, emulated: 4 },
} as const);

/** The API server's default service-node-port-range (kubelab does not change it). */
export const NODE_PORT_RANGE = Object.freeze({ min: 30000, max: 32767 });

/**
 * kube-prometheus releases and the Kubernetes minors each supports (its README compatibility matrix). kubelab pins
 * one release (manifests/lock.yaml); the others are listed for the refusal message.
 */
export const KUBE_PROMETHEUS_MATRIX: readonly { readonly release: string; readonly minMinor: number; readonly maxMinor: number; readonly pinned?: string }[] =
  Object.freeze([
    { release: 'release-0.16', minMinor: 32, maxMinor: 34 },
    { release: 'release-0.17', minMinor: 33, maxMinor: 35 },
    { release: 'release-0.18', minMinor: 33, maxMinor: 36, pinned: 'v0.18.0' },
  ]);

/** The pinned kube-prometheus release (v0.18.0) and its Kubernetes minors. */
export const KUBE_PROMETHEUS_PINNED = KUBE_PROMETHEUS_MATRIX.find((r) => r.pinned !== undefined)!;

/** "release-0.16: 1.32-1.34; release-0.17: 1.33-1.35; release-0.18: 1.33-1.36 (kubelab pins v0.18.0)" */
export function kubePrometheusMatrixText(): string {
  return KUBE_PROMETHEUS_MATRIX.map(
    (r) => `${r.release}: Kubernetes 1.${r.minMinor}-1.${r.maxMinor}${r.pinned ? ` (kubelab pins ${r.pinned})` : ''}`,
  ).join('; ');
}

/** The VirtualBox NAT address: every VM has it, so it never identifies a node. */
export const VIRTUALBOX_NAT_ADDRESS = '10.0.2.15';

type Verdict = string | { message: string; hint?: string } | undefined;

/** Adds a custom check whose message (and optional hint, carried in params) is produced by `check`. */
function checked<T extends z.ZodType>(schema: T, check: (value: z.output<T>) => Verdict): T {
  return schema.superRefine((value, ctx) => {
    const verdict = check(value as z.output<T>);
    if (verdict === undefined) return;
    const { message, hint } = typeof verdict === 'string' ? { message: verdict, hint: undefined } : verdict;
    ctx.addIssue({ code: 'custom', message, params: hint === undefined ? {} : { hint } });
  }) as T;
}

const q = (v: unknown): string => JSON.stringify(v);

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/i;
const IMAGE_REPOSITORY = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

export function isDnsLabel(value: string): boolean {
  return DNS_LABEL.test(value);
}

export const dnsLabel = (what: string) =>
  checked(z.string().meta({ description: `${what}: a DNS label (lowercase letters, digits, '-'; at most 63)` }), (v) => {
    if (DNS_LABEL.test(v)) return undefined;
    const lower = v.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
    return {
      message: `${q(v)} is not a valid DNS label`,
      hint:
        (DNS_LABEL.test(lower) ? `did you mean ${q(lower)}? ` : '') +
        "a DNS label has lowercase letters, digits and '-', at most 63 characters, and starts and ends with a letter or digit",
    };
  });

const ipv4 = (description: string) =>
  checked(z.string().meta({ description, format: 'ipv4' }), (v) =>
    parseIPv4(v) === null ? `${q(v)} is not a valid IPv4 address (expected a.b.c.d, e.g. 192.168.56.10)` : undefined,
  );

const cidr = (description: string) =>
  checked(z.string().meta({ description }), (v) => {
    const result = parseCidr(v);
    if (result.ok) return undefined;
    if (result.suggestion !== undefined) {
      return `${q(v)} is not a valid IPv4 CIDR: it has host bits set (did you mean ${result.suggestion}?)`;
    }
    return `${q(v)} is not a valid IPv4 CIDR: it ${result.reason}`;
  });

function hostVerdict(v: string): Verdict {
  if (/^[\d.]+$/.test(v)) return parseIPv4(v) === null ? `${q(v)} is not a valid IPv4 address` : undefined;
  return HOSTNAME.test(v) ? undefined : `${q(v)} is not a valid host name or IPv4 address`;
}

export const host = (description: string) => checked(z.string().meta({ description }), hostVerdict);

export const port = (description: string) =>
  z
    .int({ error: (iss) => (iss.input === undefined ? undefined : `expected a port number (integer 1-65535), got ${q(iss.input)}`) })
    .min(1, { error: (iss) => `port ${q(iss.input)} is out of range: ports are 1-65535` })
    .max(65535, { error: (iss) => `port ${q(iss.input)} is out of range: ports are 1-65535` })
    .meta({ description });

const connectTimeout = () =>
  z
    .number({ error: (iss) => (iss.input === undefined ? undefined : `expected seconds (a number), got ${q(iss.input)}`) })
    .min(CONNECT_TIMEOUT_RANGE_S.min, { error: (iss) => `connectTimeout ${q(iss.input)} is too short: at least ${CONNECT_TIMEOUT_RANGE_S.min} second` })
    .max(CONNECT_TIMEOUT_RANGE_S.max, { error: (iss) => `connectTimeout ${q(iss.input)} is too long: at most ${CONNECT_TIMEOUT_RANGE_S.max} seconds` })
    .meta({
      description:
        'Seconds allowed for reaching the node over SSH: TCP connect, handshake and authentication, retries of refused ' +
        'connections included (default 10; the --connect-timeout option overrides it)',
    });

const envName = (description: string) =>
  checked(z.string().meta({ description }), (v) =>
    ENV_NAME.test(v)
      ? undefined
      : {
          message: `${q(v)} is not an environment variable name`,
          hint: 'give the NAME of an environment variable that holds the secret (e.g. KUBELAB_SSH_PASSWORD), never the secret itself',
        },
  );

const httpUrl = (description: string) =>
  checked(z.string().meta({ description }), (v) => {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      return `${q(v)} is not a URL (expected http:// or https://...)`;
    }
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : `${q(v)} is not an http(s) URL`;
  });

const nonEmpty = (description: string) =>
  checked(z.string().meta({ description }), (v) => (v.trim() === '' ? 'must not be empty' : undefined));

const absolutePath = (description: string) =>
  checked(z.string().meta({ description }), (v) =>
    v.startsWith('/') ? undefined : { message: `${q(v)} is not an absolute path`, hint: `start it with "/", e.g. ${DEFAULTS.nfsPath}` },
  );

const userName = checked(z.string().meta({ description: 'Login user on the nodes' }), (v) =>
  USER_NAME.test(v) ? undefined : `${q(v)} is not a valid user name`,
);

const versionSchema = checked(
  z
    .union([z.string(), z.number()], { error: (iss) => `expected a Kubernetes version string like "1.35", got ${q(iss.input)}` })
    .meta({ description: `Kubernetes version "1.N" or "1.N.P" (supported: ${SUPPORTED_VERSIONS.join(', ')}); quote it`, examples: ['1.35'] }),
  (v) => {
    if (typeof v === 'number') {
      const text = String(v);
      // YAML reads 1.30 as the float 1.3: the trailing zero is gone and we cannot tell 1.3 from 1.30.
      if (/^1\.\d$/.test(text)) {
        return {
          message: `version is the YAML number ${text}, which drops trailing zeros (1.30 becomes 1.3); quote it`,
          hint: `write version: "${text}0"`,
        };
      }
      return VERSION_PATTERN.test(text) ? undefined : `${text} is not a Kubernetes version like "1.35"; quote it`;
    }
    if (VERSION_PATTERN.test(v)) return undefined;
    const stripped = v.replace(/^v/, '');
    return {
      message: `${q(v)} is not a Kubernetes version like "1.35" or "1.35.2"`,
      ...(VERSION_PATTERN.test(stripped) ? { hint: `did you mean "${stripped}"?` } : {}),
    };
  },
).transform((v) => String(v));

const controlPlaneEndpoint = checked(
  z.string().meta({ description: 'Shared API server endpoint "host" or "host:port" (needed for several control-plane nodes)' }),
  (v) => {
    const match = /^(.*?)(?::(\d+))?$/.exec(v);
    const hostPart = match?.[1] ?? v;
    const portPart = match?.[2];
    const hostProblem = hostVerdict(hostPart);
    if (hostProblem !== undefined) return `${q(v)} is not "host" or "host:port": ${typeof hostProblem === 'string' ? hostProblem : hostProblem.message}`;
    if (portPart !== undefined) {
      const n = Number(portPart);
      if (n < 1 || n > 65535) return `${q(v)} has port ${n} out of range: ports are 1-65535`;
    }
    return undefined;
  },
);

const imageRepository = checked(z.string().meta({ description: 'Registry for the control-plane images' }), (v) => {
  if (IMAGE_REPOSITORY.test(v)) return undefined;
  const bare = v.replace(/^[a-z]+:\/\//i, '');
  return {
    message: `${q(v)} is not a registry path like registry.k8s.io or my.registry:5000/k8s`,
    ...(bare !== v && IMAGE_REPOSITORY.test(bare) ? { hint: `drop the scheme: ${bare}` } : {}),
  };
});

/** A full image reference: [registry[:port]/]path[:tag][@sha256:digest], lowercase path (as the OCI distribution spec). */
const IMAGE_REFERENCE = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/** An image override: used exactly as given (spec.kubernetes.imageRepository does not apply to it). */
const imageReference = (description: string) =>
  checked(z.string().meta({ description: `${description}; used as given (spec.kubernetes.imageRepository does not apply)` }), (v) => {
    if (!IMAGE_REFERENCE.test(v) || !/[:@]/.test(v.replace(/^[^/]*\//, ''))) {
      return {
        message: `${q(v)} is not an image reference with a tag or digest, like registry.k8s.io/metrics-server/metrics-server:v0.8.0`,
        hint: 'give the whole reference: registry/path:tag (or @sha256:digest), lowercase',
      };
    }
    return undefined;
  });

const registryHost = checked(z.string(), (v) => {
  const [h = '', p] = v.split(/:(?=\d+$)/);
  return hostVerdict(h) === undefined && (p === undefined || (Number(p) >= 1 && Number(p) <= 65535))
    ? undefined
    : `${q(v)} is not a registry host (e.g. docker.io or my.registry:5000)`;
});

/** SSH settings shared by spec.ssh and spec.nodes[].ssh (no defaults here: see below). */
const sshShape = {
  user: userName.optional(),
  port: port('SSH port').optional(),
  identityFile: nonEmpty("Private key file; '~' is the home directory, relative paths are relative to the working directory").optional(),
  passphraseEnv: envName('Name of the environment variable holding the key passphrase').optional(),
  passwordEnv: envName('Name of the environment variable holding the SSH password').optional(),
  askPassword: z.boolean().meta({ description: 'Prompt for the SSH password' }).optional(),
  agent: z.boolean().meta({ description: 'Use the SSH agent (default: true when SSH_AUTH_SOCK is set)' }).optional(),
  sudoPasswordEnv: envName('Name of the environment variable holding the sudo password').optional(),
  connectTimeout: connectTimeout().optional(),
};

export const SshDefaultsSchema = z
  .strictObject({
    ...sshShape,
    user: userName.default(DEFAULTS.sshUser),
    port: port('SSH port').default(DEFAULTS.sshPort),
    askPassword: z.boolean().meta({ description: 'Prompt for the SSH password' }).default(false),
    connectTimeout: connectTimeout().default(DEFAULTS.sshConnectTimeout),
  })
  .meta({ description: 'SSH defaults for every node (a clear-text password is not accepted: use passwordEnv or askPassword)' });

export const NodeSshSchema = z
  .strictObject({
    ...sshShape,
    host: host('Where SSH is reached when it differs from the node address, e.g. 127.0.0.1 with NAT port forwarding').optional(),
  })
  .meta({ description: 'Per-node SSH settings overriding spec.ssh' });

export const NodeSchema = z.strictObject({
  name: dnsLabel('Node name'),
  role: z.enum(['control-plane', 'worker']).meta({ description: 'Node role' }),
  address: ipv4("The node's address on the host-only network (inside spec.network.nodeCidr)"),
  ssh: NodeSshSchema.optional(),
});

export const KubernetesSchema = z.strictObject({
  version: versionSchema,
  podSubnet: cidr('Pod network CIDR').default(DEFAULTS.podSubnet),
  serviceSubnet: cidr('Service network CIDR').default(DEFAULTS.serviceSubnet),
  controlPlaneEndpoint: controlPlaneEndpoint.optional(),
  imageRepository: imageRepository.default(DEFAULTS.imageRepository),
  packageRepository: httpUrl('Base URL of the Kubernetes apt repository; /v1.N/deb/ is appended')
    .default(DEFAULTS.packageRepository)
    .transform((v) => v.replace(/\/+$/, '')),
  install: z
    .enum(['binaries', 'packages'])
    .default(DEFAULTS.install)
    .meta({ description: "Where kubeadm, kubelet and kubectl come from: 'binaries' (release binaries, downloaded once on the workstation and uploaded) or 'packages' (pkgs.k8s.io on every node)" }),
  bundle: nonEmpty("Offline bundle folder made by `kubelab bundle build`; '~' is the home directory, relative paths are relative to the working directory").optional(),
});

export const MirrorsSchema = z
  .strictObject({
    kubernetesReleases: httpUrl('Base URL standing for https://dl.k8s.io (the release tree: /release/v1.N.P/bin/linux/ARCH/...)')
      .transform((v) => v.replace(/\/+$/, ''))
      .optional(),
    githubReleases: httpUrl('Base URL standing for https://github.com (release downloads: /OWNER/REPO/releases/download/...)')
      .transform((v) => v.replace(/\/+$/, ''))
      .optional(),
  })
  .meta({ description: 'Download mirrors used on the workstation instead of dl.k8s.io and github.com' });

export const RuntimeSchema = z.strictObject({
  containerd: z
    .strictObject({
      source: z.enum(['distro', 'docker']).default(DEFAULTS.containerdSource).meta({ description: "Install containerd from the distribution ('distro') or from Docker's repository ('docker')" }),
    })
    .prefault({}),
  docker: z.boolean().default(false).meta({ description: 'Also install the Docker engine' }),
  registryMirrors: z
    .record(registryHost, z.array(httpUrl('Mirror URL')))
    .default({})
    .meta({ description: 'Registry host -> mirror URLs, e.g. docker.io: [https://mirror.gcr.io]' }),
});

export const NfsSchema = z.strictObject({
  server: dnsLabel('Name of the node that serves NFS'),
  path: absolutePath('Exported directory (not under /tmp)').default(DEFAULTS.nfsPath),
});

const nodePort = (description: string, dflt: number) =>
  z
    .int({ error: (iss) => (iss.input === undefined ? undefined : `expected a NodePort number (integer ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}), got ${q(iss.input)}`) })
    .min(NODE_PORT_RANGE.min, { error: (iss) => `NodePort ${q(iss.input)} is out of range: NodePorts are ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}` })
    .max(NODE_PORT_RANGE.max, { error: (iss) => `NodePort ${q(iss.input)} is out of range: NodePorts are ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}` })
    .default(dflt)
    .meta({ description: `${description} (${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}, default ${dflt})` });

export const AddonsSchema = z
  .strictObject({
    nfsProvisioner: z
      .strictObject({
        enabled: z
          .boolean()
          .optional()
          .meta({ description: 'Install nfs-subdir-external-provisioner (default: true when spec.nfs is set; needs spec.nfs)' }),
        archiveOnDelete: z.boolean().default(false).meta({ description: "Keep a deleted volume's directory as archived-<name> instead of removing it" }),
        namespace: dnsLabel('Namespace of the provisioner').default(DEFAULTS.nfsProvisionerNamespace),
        storageClass: dnsLabel('Name of the StorageClass').default(DEFAULTS.nfsStorageClass),
        default: z.boolean().default(true).meta({ description: 'Mark the StorageClass as the default one' }),
        image: imageReference('Image of the provisioner instead of the pinned one').optional(),
      })
      .prefault({})
      .meta({ description: 'Dynamic NFS volumes (nfs-subdir-external-provisioner) on the export of spec.nfs' }),
    metricsServer: z
      .strictObject({
        enabled: z.boolean().default(true).meta({ description: 'Install metrics-server (kubectl top)' }),
        tls: z
          .enum(['insecure', 'bootstrap'])
          .default('insecure')
          .meta({
            description:
              "How metrics-server trusts the kubelets: 'insecure' (--kubelet-insecure-tls, the lab default) or 'bootstrap' " +
              '(kubelet serving certificates from the cluster CA: serverTLSBootstrap, kubelab approves the nodes\' CSRs; ' +
              'takes effect only for a cluster initialised with it)',
          }),
        image: imageReference('Image of metrics-server instead of the pinned one').optional(),
      })
      .prefault({})
      .meta({ description: 'metrics-server v0.8.1' }),
    monitoring: z
      .strictObject({
        enabled: z
          .boolean()
          .default(false)
          .meta({ description: 'Install kube-prometheus (Prometheus, Grafana, Alertmanager); needs about 4 GiB of memory per VM and Kubernetes 1.33-1.36' }),
        grafanaNodePort: nodePort('NodePort of Grafana on every node', DEFAULTS.grafanaNodePort),
        prometheusNodePort: nodePort('NodePort of Prometheus on every node', DEFAULTS.prometheusNodePort),
      })
      .prefault({})
      .meta({ description: 'kube-prometheus v0.18.0, off by default: it needs VMs with about 4 GiB of memory' }),
  })
  .meta({ description: 'Cluster addons applied after the pod network; every field has a default' });

export const FlannelSchema = z
  .strictObject({
    image: imageReference('Image of the flannel daemon (containers kube-flannel and install-cni) instead of the pinned one').optional(),
    cniPluginImage: imageReference('Image of the flannel CNI plugin (init container install-cni-plugin) instead of the pinned one').optional(),
  })
  .meta({ description: 'The pod network (flannel v0.28.9)' });

export const ChecksSchema = z
  .strictObject({
    image: imageReference('Image of the smoke checks\' pods: needs sh, curl, dig and /agnhost netexec')
      .default(DEFAULTS.checkImage)
      .meta({ description: `Image of the smoke checks' pods (default ${DEFAULTS.checkImage}): needs sh, curl, dig and /agnhost netexec; used as given` }),
  })
  .meta({ description: 'The smoke checks (`kubelab check`)' });

export const TimingSchema = z
  .strictObject({
    profile: z
      .enum(['standard', 'emulated'])
      .default(DEFAULTS.timingProfile)
      .meta({
        description:
          "'standard', or 'emulated' for VMs under software emulation (qemu TCG, about ten times slower): leader election off for the " +
          'controller-manager and scheduler (one control-plane node only) and waitFactor 4 unless given',
      }),
    waitFactor: z
      .number()
      .min(1, { error: (iss) => `waitFactor ${q(iss.input)} is too small: it multiplies the default waits, 1 keeps them` })
      .max(20, { error: (iss) => `waitFactor ${q(iss.input)} is too large: at most 20` })
      .optional()
      .meta({
        description:
          "Multiplies every wait of kubelab (kubeadm init/join, rollouts, the checks' pod and metrics waits) and, above 1, kubeadm's own " +
          "timeouts (v1beta4 `timeouts`, Kubernetes 1.31+). Default: 1, or 4 with profile 'emulated'",
      }),
  })
  .meta({ description: 'How long kubelab and kubeadm wait, and what an emulated lab relaxes' });

export const ProviderImageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('debootstrap'),
    suite: checked(z.string(), (v) => (/^[a-z][a-z0-9-]*$/.test(v) ? undefined : `${q(v)} is not a Debian suite name`)).default(DEFAULTS.debootstrapSuite),
    mirror: httpUrl('Debian mirror').default(DEFAULTS.debootstrapMirror),
  }),
  z.strictObject({
    type: z.literal('cloud'),
    path: nonEmpty('Local path to a qcow2/raw cloud image'),
  }),
]);

export const ProviderSchema = z.strictObject({
  type: z.literal('qemu').meta({ description: 'VM provider (only qemu)' }),
  memory: z
    .int()
    .min(1700, { error: (iss) => `memory ${q(iss.input)} MiB is too small: kubeadm needs at least 1700 MiB on a control-plane node` })
    .default(DEFAULTS.memory)
    .meta({ description: 'Memory per VM in MiB (workers: see workers)' }),
  cpus: z
    .int()
    .min(2, { error: (iss) => `cpus ${q(iss.input)} is too small: kubeadm needs at least 2 CPUs on a control-plane node` })
    .default(DEFAULTS.cpus)
    .meta({ description: 'CPUs per VM (workers: see workers)' }),
  workers: z
    .strictObject({
      memory: z
        .int()
        .min(1024, { error: (iss) => `memory ${q(iss.input)} MiB is too small for a worker: give it at least 1024 MiB` })
        .optional()
        .meta({ description: 'Memory of each worker VM in MiB (default: memory)' }),
      cpus: z
        .int()
        .min(1, { error: (iss) => `cpus ${q(iss.input)} is too small: a worker needs at least 1 CPU` })
        .optional()
        .meta({ description: 'CPUs of each worker VM (default: cpus)' }),
    })
    .optional()
    .meta({ description: 'Smaller worker VMs (kubeadm requires 2 CPUs and 1700 MiB on control-plane nodes only); e.g. cpus: 1 leaves the control plane more of an emulating host' }),
  image: ProviderImageSchema.prefault({ type: 'debootstrap' }),
  sshPortBase: port('Node i is reached on 127.0.0.1:sshPortBase+i').default(DEFAULTS.sshPortBase),
  accel: z.enum(['auto', 'kvm', 'tcg']).default(DEFAULTS.accel),
  isolated: z
    .boolean()
    .default(false)
    .meta({ description: 'Cut the NAT adapter off: the VMs reach nothing outside but hostPorts (offline labs, tests)' }),
  hostPorts: z
    .array(port('A workstation port the VMs reach at 10.0.2.2 (127.0.0.1 on the workstation)'))
    .default([])
    .meta({ description: 'With isolated: workstation ports (127.0.0.1) the VMs reach at 10.0.2.2, e.g. a local registry' }),
  diskCache: z
    .enum(['writeback', 'unsafe'])
    .default('writeback')
    .meta({ description: "qemu drive cache: writeback keeps the guest's flushes; unsafe ignores them (fast etcd under emulation; a host crash can corrupt the VM disks)" }),
});

export const InventorySchema = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(KIND),
    metadata: z.strictObject({ name: dnsLabel('Cluster name') }),
    spec: z.strictObject({
      kubernetes: KubernetesSchema,
      network: z.strictObject({
        nodeCidr: cidr('The host-only network; every node address lies in it, e.g. 192.168.56.0/24'),
        flannel: FlannelSchema.prefault({}),
      }),
      ssh: SshDefaultsSchema.prefault({}),
      nodes: z
        .array(NodeSchema)
        .min(1, { error: 'at least one node is needed' }),
      runtime: RuntimeSchema.prefault({}),
      mirrors: MirrorsSchema.prefault({}),
      nfs: NfsSchema.optional(),
      addons: AddonsSchema.prefault({}),
      checks: ChecksSchema.prefault({}),
      timing: TimingSchema.prefault({}),
      provider: ProviderSchema.optional(),
    }),
  })
  .meta({ title: 'kubelab inventory', description: 'A few lab VMs turned into a kubeadm cluster over SSH' });

/** What the schema produces (defaults filled); load.ts turns it into the frozen Inventory. */
export type ParsedInventory = z.output<typeof InventorySchema>;
