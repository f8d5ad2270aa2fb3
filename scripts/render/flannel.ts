import { isObj, type Obj } from '../util/objects.js';
import { StepError } from '../engine/errors.js';
import type { K8sObject } from '../manifests/yaml.js';
import { overrideImage } from '../manifests/objects.js';

export interface FlannelSettings {
  /** Network of net-conf.json: the cluster's pod CIDR (kubeadm networking.podSubnet). */
  podSubnet: string;
  /**
   * Interfaces flannel may use, one `--iface=` each (flannel takes the first that exists on a node); usually the
   * host-only NIC of every node in node order. Duplicates are collapsed; empty = flannel's default-route choice.
   */
  ifaces: readonly string[];
  /** spec.network.flannel.image: the daemon's image (kube-flannel and install-cni), used as given. */
  image?: string;
  /** spec.network.flannel.cniPluginImage: the CNI plugin's image (install-cni-plugin), used as given. */
  cniPluginImage?: string;
  /** flanneld `--iptables-resync` in seconds (how often it checks its iptables rules); undefined: flannel's 5 s. */
  iptablesResyncS?: number;
}

function find(objs: readonly K8sObject[], kind: string, name: string): Obj {
  const o = objs.find((x) => x.kind === kind && isObj(x.metadata) && x.metadata.name === name);
  if (!o)
    throw new StepError(
      `flannel manifest: no ${kind} ${name}`,
      'is manifests/lock.yaml pinned to a supported flannel?',
    );
  return o;
}

/** `--iface`, `--iface-regex` and the single-dash forms, with the value in the same or the next argument. */
const IFACE_FLAG = /^--?iface(?:-regex)?(=|$)/;

/** `--iptables-resync` and its single-dash form, with the value in the same or the next argument. */
const RESYNC_FLAG = /^--?iptables-resync(=|$)/;

/** `args` without the flags `flag` matches (and their separate values). */
function without(args: readonly unknown[], flag: RegExp): string[] {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = String(args[i]);
    const m = flag.exec(a);
    if (!m) kept.push(a);
    else if (m[1] === '') i++; // "--iface eth1": drop the value too
  }
  return kept;
}

function withIfaces(args: readonly unknown[], ifaces: readonly string[]): string[] {
  return [...without(args, IFACE_FLAG), ...[...new Set(ifaces)].map((n) => `--iface=${n}`)];
}

function withResync(args: readonly string[], seconds: number | undefined): string[] {
  if (seconds === undefined) return [...args];
  if (!Number.isInteger(seconds) || seconds < 1) throw new StepError(`flannel: invalid --iptables-resync ${seconds}`);
  return [...without(args, RESYNC_FLAG), `--iptables-resync=${seconds}`];
}

/**
 * The pinned kube-flannel.yml objects set for this cluster: net-conf.json Network = podSubnet (other keys such as
 * Backend kept, 2-space JSON like upstream) and one `--iface=<name>` per distinct interface on the kube-flannel
 * container (replacing any --iface / --iface-regex; other args keep their order); `--iptables-resync` when set; the
 * inventory's image overrides.
 * Pure: returns edited copies.
 */
export function renderFlannel(objects: readonly K8sObject[], s: FlannelSettings): K8sObject[] {
  for (const n of s.ifaces) {
    if (!/^[^\s=/]{1,15}$/.test(n)) throw new StepError(`flannel: invalid interface name ${JSON.stringify(n)}`);
  }
  const out = structuredClone(objects) as K8sObject[];

  const cm = find(out, 'ConfigMap', 'kube-flannel-cfg');
  const data = cm.data;
  if (!isObj(data) || typeof data['net-conf.json'] !== 'string') {
    throw new StepError('flannel manifest: ConfigMap kube-flannel-cfg has no data net-conf.json');
  }
  let netConf: unknown;
  try {
    netConf = JSON.parse(data['net-conf.json']);
  } catch (e) {
    throw new StepError(`flannel manifest: net-conf.json is not JSON: ${(e as Error).message}`);
  }
  if (!isObj(netConf)) throw new StepError('flannel manifest: net-conf.json is not a JSON object');
  netConf.Network = s.podSubnet;
  data['net-conf.json'] = `${JSON.stringify(netConf, null, 2)}\n`;

  const ds = find(out, 'DaemonSet', 'kube-flannel-ds');
  const template = isObj(ds.spec) ? ds.spec.template : undefined;
  const podSpec = isObj(template) ? template.spec : undefined;
  const containers = isObj(podSpec) && Array.isArray(podSpec.containers) ? (podSpec.containers as unknown[]) : [];
  const c = containers.find((x): x is Obj => isObj(x) && x.name === 'kube-flannel');
  if (!c) throw new StepError('flannel manifest: DaemonSet kube-flannel-ds has no container kube-flannel');
  c.args = withResync(withIfaces(Array.isArray(c.args) ? c.args : [], s.ifaces), s.iptablesResyncS);
  overrideImage(out, ds, 'kube-flannel', s.image, 'flannel');
  overrideImage(out, ds, 'install-cni-plugin', s.cniPluginImage, 'flannel');
  return out;
}
