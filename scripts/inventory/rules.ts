/**
 * Cross-field rules. They run on the raw YAML data even when the schema found problems, so that
 * every problem is reported at once; each rule skips values that are not well-formed (the schema
 * reports those) and uses the schema defaults for missing fields.
 */
import { isObj, type Obj } from '../util/objects.js';
import path from 'node:path';
import type { Finding, PathSegment } from './errors.js';
import { cidrContains, cidrLast, cidrsOverlap, parseCidr, parseIPv4, type Cidr } from './net.js';
import {
  DEFAULTS,
  KUBE_PROMETHEUS_PINNED,
  kubePrometheusMatrixText,
  SUPPORTED_MINORS,
  SUPPORTED_VERSIONS,
  VERSION_PATTERN,
  VIRTUALBOX_NAT_ADDRESS,
} from './schema.js';


const field = (o: unknown, key: string): unknown => (isObj(o) ? o[key] : undefined);
const q = (v: unknown): string => JSON.stringify(v);

interface RawNode {
  readonly index: number;
  readonly data: Obj;
}

function nodesOf(raw: unknown): RawNode[] {
  const nodes = field(field(raw, 'spec'), 'nodes');
  if (!Array.isArray(nodes)) return [];
  return nodes.flatMap((data: unknown, index) => (isObj(data) ? [{ index, data }] : []));
}

const nodePath = (n: RawNode, ...rest: PathSegment[]): PathSegment[] => ['spec', 'nodes', n.index, ...rest];

function uniqueNames(raw: unknown): Finding[] {
  return duplicates(raw, 'name', (value, first) => ({
    message: `duplicate node name ${q(value)} (also spec.nodes[${first}].name)`,
    hint: 'every node needs its own name',
  }));
}

function uniqueAddresses(raw: unknown): Finding[] {
  return duplicates(raw, 'address', (value, first) => ({
    message: `duplicate address ${q(value)} (also spec.nodes[${first}].address)`,
    hint: 'every node needs its own address on the host-only network',
  }));
}

function duplicates(raw: unknown, key: 'name' | 'address', describe: (value: string, first: number) => Omit<Finding, 'path'>): Finding[] {
  const seen = new Map<string, number>();
  const out: Finding[] = [];
  for (const n of nodesOf(raw)) {
    const value = n.data[key];
    if (typeof value !== 'string') continue;
    const first = seen.get(value);
    // 10.0.2.15 on several nodes has its own, more useful message.
    if (first !== undefined && !(key === 'address' && value === VIRTUALBOX_NAT_ADDRESS)) {
      out.push({ path: nodePath(n, key), ...describe(value, first) });
    } else if (first === undefined) seen.set(value, n.index);
  }
  return out;
}

function natAddress(raw: unknown): Finding[] {
  const out: Finding[] = [];
  for (const n of nodesOf(raw)) {
    if (n.data['address'] === VIRTUALBOX_NAT_ADDRESS) {
      out.push({
        path: nodePath(n, 'address'),
        message: `"${VIRTUALBOX_NAT_ADDRESS}" is the VirtualBox NAT address: every VM has it, so it does not identify this node`,
        hint: "use the node's host-only adapter address, e.g. 192.168.56.x (`ip -4 addr` on the VM)",
      });
    }
    if (field(n.data['ssh'], 'host') === VIRTUALBOX_NAT_ADDRESS) {
      out.push({
        path: nodePath(n, 'ssh', 'host'),
        message: `"${VIRTUALBOX_NAT_ADDRESS}" is the VirtualBox NAT address, which cannot be reached from the host`,
        hint: 'use the host-only address, or 127.0.0.1 with a forwarded port (ssh.port)',
      });
    }
  }
  return out;
}

function cidrAt(raw: unknown, key: 'podSubnet' | 'serviceSubnet' | 'nodeCidr'): { cidr: Cidr; explicit: boolean } | undefined {
  const parent = key === 'nodeCidr' ? field(field(raw, 'spec'), 'network') : field(field(raw, 'spec'), 'kubernetes');
  const given = field(parent, key);
  const text = given === undefined && key !== 'nodeCidr' ? DEFAULTS[key] : given;
  if (typeof text !== 'string') return undefined;
  const result = parseCidr(text);
  return result.ok ? { cidr: result.cidr, explicit: given !== undefined } : undefined;
}

const cidrPath = (key: 'podSubnet' | 'serviceSubnet' | 'nodeCidr'): PathSegment[] =>
  key === 'nodeCidr' ? ['spec', 'network', 'nodeCidr'] : ['spec', 'kubernetes', key];

function addressesInNodeCidr(raw: unknown): Finding[] {
  const net = cidrAt(raw, 'nodeCidr');
  if (!net) return [];
  const { cidr } = net;
  const out: Finding[] = [];
  for (const n of nodesOf(raw)) {
    const address = n.data['address'];
    if (typeof address !== 'string' || address === VIRTUALBOX_NAT_ADDRESS) continue;
    const value = parseIPv4(address);
    if (value === null) continue;
    if (!cidrContains(cidr, value)) {
      out.push({
        path: nodePath(n, 'address'),
        message: `${q(address)} is outside spec.network.nodeCidr ${cidr.text}`,
        hint: `node addresses are on the host-only network: use an address in ${cidr.text}`,
      });
    } else if (cidr.prefix <= 30 && (value === cidr.network || value === cidrLast(cidr))) {
      out.push({
        path: nodePath(n, 'address'),
        message: `${q(address)} is the ${value === cidr.network ? 'network' : 'broadcast'} address of ${cidr.text}, not a host address`,
      });
    }
  }
  return out;
}

function controlPlaneCount(raw: unknown): Finding[] {
  const nodes = field(field(raw, 'spec'), 'nodes');
  if (!Array.isArray(nodes) || nodes.length === 0) return []; // the schema reports a missing/empty list
  const planes = nodesOf(raw).filter((n) => n.data['role'] === 'control-plane');
  const endpoint = field(field(field(raw, 'spec'), 'kubernetes'), 'controlPlaneEndpoint');
  const hasEndpoint = typeof endpoint === 'string' && endpoint !== '';
  if (planes.length === 0) {
    return [
      {
        path: ['spec', 'nodes'],
        message: 'no control-plane node: exactly one node needs role: control-plane',
        hint: 'set role: control-plane on the node that runs the API server',
      },
    ];
  }
  const second = planes[1];
  if (second !== undefined && !hasEndpoint) {
    const names = planes.map((n) => (typeof n.data['name'] === 'string' ? n.data['name'] : `spec.nodes[${n.index}]`));
    return [
      {
        path: nodePath(second, 'role'),
        message: `${planes.length} control-plane nodes (${names.join(', ')}) but exactly one is allowed without spec.kubernetes.controlPlaneEndpoint`,
        hint: 'make the others workers, or set spec.kubernetes.controlPlaneEndpoint to an address shared by the control-plane nodes',
      },
    ];
  }
  return [];
}

function subnetOverlaps(raw: unknown): Finding[] {
  const keys = ['podSubnet', 'serviceSubnet', 'nodeCidr'] as const;
  const out: Finding[] = [];
  for (let i = 0; i < keys.length; i++) {
    for (let j = i + 1; j < keys.length; j++) {
      const a = keys[i]!;
      const b = keys[j]!;
      const ca = cidrAt(raw, a);
      const cb = cidrAt(raw, b);
      if (!ca || !cb || !cidrsOverlap(ca.cidr, cb.cidr)) continue;
      // Point at the later field of the pair unless only the earlier one was written in the file.
      const [here, other] = cb.explicit || !ca.explicit ? [b, a] : [a, b];
      const hereC = here === a ? ca : cb;
      const otherC = here === a ? cb : ca;
      const dflt = (c: { explicit: boolean }): string => (c.explicit ? '' : ' (default)');
      out.push({
        path: cidrPath(here),
        message: `${here} ${hereC.cidr.text}${dflt(hereC)} overlaps ${other} ${otherC.cidr.text}${dflt(otherC)}`,
        hint: 'podSubnet, serviceSubnet and nodeCidr must be disjoint networks',
      });
    }
  }
  return out;
}

function supportedVersion(raw: unknown): Finding[] {
  const version = field(field(field(raw, 'spec'), 'kubernetes'), 'version');
  // Numbers like 1.3 (from 1.30) are reported by the schema with a request to quote them.
  const text = typeof version === 'string' ? version : typeof version === 'number' && !/^1\.\d$/.test(String(version)) ? String(version) : undefined;
  if (text === undefined || !VERSION_PATTERN.test(text)) return [];
  const minor = Number(text.split('.')[1]);
  if (SUPPORTED_MINORS.includes(minor)) return [];
  return [
    {
      path: ['spec', 'kubernetes', 'version'],
      message: `Kubernetes ${text} is not supported; supported versions: ${SUPPORTED_VERSIONS.join(', ')}`,
    },
  ];
}

function nfsRules(raw: unknown): Finding[] {
  const nfs = field(field(raw, 'spec'), 'nfs');
  if (!isObj(nfs)) return [];
  const out: Finding[] = [];
  const server = nfs['server'];
  const names = [...new Set(nodesOf(raw).map((n) => n.data['name']).filter((n): n is string => typeof n === 'string'))];
  if (typeof server === 'string' && names.length > 0 && !names.includes(server)) {
    out.push({
      path: ['spec', 'nfs', 'server'],
      message: `${q(server)} is not a node in spec.nodes`,
      hint: `nfs.server names the node that serves NFS: one of ${names.join(', ')}`,
    });
  }
  const dir = nfs['path'];
  if (typeof dir === 'string' && dir.startsWith('/')) {
    const normal = path.posix.normalize(dir);
    if (normal === '/tmp' || normal.startsWith('/tmp/')) {
      out.push({
        path: ['spec', 'nfs', 'path'],
        message: `${q(dir)} is under /tmp, which is emptied at reboot: the volumes would be lost`,
        hint: `use a persistent directory, e.g. ${DEFAULTS.nfsPath}`,
      });
    }
  }
  return out;
}

function providerPorts(raw: unknown): Finding[] {
  const base = field(field(field(raw, 'spec'), 'provider'), 'sshPortBase');
  const count = nodesOf(raw).length;
  if (typeof base !== 'number' || !Number.isInteger(base) || base < 1 || base > 65535 || count === 0) return [];
  const last = base + count - 1;
  return last > 65535
    ? [{ path: ['spec', 'provider', 'sshPortBase'], message: `sshPortBase ${base} + ${count - 1} nodes gives port ${last}, beyond 65535` }]
    : [];
}

/** hostPorts only mean something on an isolated NAT: without isolation the VMs reach 10.0.2.2 anyway. */
function hostPortsNeedIsolation(raw: unknown): Finding[] {
  const prov = field(field(raw, 'spec'), 'provider');
  const ports = field(prov, 'hostPorts');
  if (!Array.isArray(ports) || ports.length === 0 || field(prov, 'isolated') === true) return [];
  return [
    {
      path: ['spec', 'provider', 'hostPorts'],
      message: 'hostPorts is set but isolated is not: without isolation the VMs already reach every workstation port at 10.0.2.2',
      hint: 'set spec.provider.isolated: true, or remove spec.provider.hostPorts',
    },
  ];
}

const addonsOf = (raw: unknown, addon: string): unknown => field(field(field(raw, 'spec'), 'addons'), addon);

function nfsProvisionerNeedsNfs(raw: unknown): Finding[] {
  const enabled = field(addonsOf(raw, 'nfsProvisioner'), 'enabled');
  if (enabled !== true || field(field(raw, 'spec'), 'nfs') !== undefined) return [];
  return [
    {
      path: ['spec', 'addons', 'nfsProvisioner', 'enabled'],
      message: 'spec.addons.nfsProvisioner.enabled is true but spec.nfs is not set: the provisioner needs an NFS export',
      hint: 'set spec.nfs.server (a node name) and spec.nfs.path, or set spec.addons.nfsProvisioner.enabled: false',
    },
  ];
}

/** The version's minor when it is well-formed (the schema and supportedVersion report the rest). */
function versionMinor(raw: unknown): { text: string; minor: number } | undefined {
  const version = field(field(field(raw, 'spec'), 'kubernetes'), 'version');
  const text = typeof version === 'string' ? version : typeof version === 'number' && !/^1\.\d$/.test(String(version)) ? String(version) : undefined;
  if (text === undefined || !VERSION_PATTERN.test(text)) return undefined;
  return { text, minor: Number(text.split('.')[1]) };
}

function monitoringVersion(raw: unknown): Finding[] {
  if (field(addonsOf(raw, 'monitoring'), 'enabled') !== true) return [];
  const v = versionMinor(raw);
  // a version kubelab does not support at all is reported once, by supportedVersion
  if (v === undefined || !SUPPORTED_MINORS.includes(v.minor)) return [];
  const { minMinor, maxMinor, pinned } = KUBE_PROMETHEUS_PINNED;
  if (v.minor >= minMinor && v.minor <= maxMinor) return [];
  return [
    {
      path: ['spec', 'addons', 'monitoring', 'enabled'],
      message:
        `spec.addons.monitoring needs Kubernetes 1.${minMinor}-1.${maxMinor} (kube-prometheus ${pinned}), ` +
        `but spec.kubernetes.version is ${v.text}; kube-prometheus compatibility: ${kubePrometheusMatrixText()}`,
      hint: `use spec.kubernetes.version 1.${minMinor}-1.${maxMinor}, or set spec.addons.monitoring.enabled: false`,
    },
  ];
}

function distinctNodePorts(raw: unknown): Finding[] {
  const monitoring = addonsOf(raw, 'monitoring');
  const port = (key: 'grafanaNodePort' | 'prometheusNodePort'): { value: unknown; explicit: boolean } => {
    const given = field(monitoring, key);
    return { value: given ?? DEFAULTS[key], explicit: given !== undefined };
  };
  const grafana = port('grafanaNodePort');
  const prometheus = port('prometheusNodePort');
  if (typeof grafana.value !== 'number' || grafana.value !== prometheus.value) return [];
  // point at a key written in the file: prometheusNodePort unless only grafanaNodePort was written
  const [here, other] = prometheus.explicit || !grafana.explicit ? ['prometheusNodePort', 'grafanaNodePort'] : ['grafanaNodePort', 'prometheusNodePort'];
  return [
    {
      path: ['spec', 'addons', 'monitoring', here],
      message: `${here} ${grafana.value} is also ${other}${(here === 'prometheusNodePort' ? grafana : prometheus).explicit ? '' : ' (default)'}: each NodePort serves one Service`,
      hint: 'give Grafana and Prometheus different NodePorts',
    },
  ];
}

function bundleNeedsBinaries(raw: unknown): Finding[] {
  const k = field(field(raw, 'spec'), 'kubernetes');
  const bundle = field(k, 'bundle');
  const install = field(k, 'install') ?? DEFAULTS.install;
  if (bundle === undefined || install !== 'packages') return [];
  return [
    {
      path: ['spec', 'kubernetes', 'bundle'],
      message: 'a bundle holds release binaries and images, but spec.kubernetes.install is packages (pkgs.k8s.io on every node)',
      hint: 'set spec.kubernetes.install: binaries, or remove spec.kubernetes.bundle',
    },
  ];
}

/** profile 'emulated' turns leader election off: two controller-managers (or schedulers) would then both act. */
function emulatedSingleControlPlane(raw: unknown): Finding[] {
  if (field(field(field(raw, 'spec'), 'timing'), 'profile') !== 'emulated') return [];
  const planes = nodesOf(raw).filter((n) => n.data['role'] === 'control-plane');
  if (planes.length < 2) return [];
  return [
    {
      path: ['spec', 'timing', 'profile'],
      message: `profile "emulated" turns leader election off, which is safe with one control-plane node only; the inventory has ${planes.length}`,
      hint: 'make the other control-plane nodes workers, or keep profile "standard" and set spec.timing.waitFactor for longer waits',
    },
  ];
}

/** Every cross-field rule, in order; each returns its own findings. */
export const RULES: readonly ((raw: unknown) => Finding[])[] = [
  uniqueNames,
  uniqueAddresses,
  natAddress,
  addressesInNodeCidr,
  controlPlaneCount,
  subnetOverlaps,
  supportedVersion,
  nfsRules,
  providerPorts,
  hostPortsNeedIsolation,
  nfsProvisionerNeedsNfs,
  monitoringVersion,
  distinctNodePorts,
  bundleNeedsBinaries,
  emulatedSingleControlPlane,
];

export function checkRules(raw: unknown): Finding[] {
  return RULES.flatMap((rule) => rule(raw));
}
