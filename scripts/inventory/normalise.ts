/** Turns the schema's output into the frozen Inventory: paths resolved, SSH settings resolved per node. */
import os from 'node:os';
import path from 'node:path';
import { DEFAULTS, type ParsedInventory } from './schema.js';
import type { AddonsSpec, Inventory, InventoryNode, NodeSsh, ProviderSpec, SshDefaults } from './types.js';

/** '~' and '~/x' against the home directory; relative paths against `cwd`. */
export function expandPath(file: string, cwd: string = process.cwd()): string {
  if (file === '~') return os.homedir();
  if (file.startsWith('~/')) return path.join(os.homedir(), file.slice(2));
  return path.resolve(cwd, file);
}

/** Drops undefined properties, so optional fields are absent rather than present-but-undefined. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

type SshInput = ParsedInventory['spec']['ssh'];
type NodeInput = ParsedInventory['spec']['nodes'][number];

function sshDefaults(s: SshInput, cwd: string): SshDefaults {
  return compact({
    user: s.user,
    port: s.port,
    identityFile: s.identityFile === undefined ? undefined : expandPath(s.identityFile, cwd),
    passphraseEnv: s.passphraseEnv,
    passwordEnv: s.passwordEnv,
    askPassword: s.askPassword,
    agent: s.agent,
    sudoPasswordEnv: s.sudoPasswordEnv,
    connectTimeout: s.connectTimeout,
  });
}

function nodeSsh(node: NodeInput, defaults: SshDefaults, cwd: string): NodeSsh {
  const o = node.ssh ?? {};
  return compact({
    host: o.host ?? node.address,
    port: o.port ?? defaults.port,
    user: o.user ?? defaults.user,
    identityFile: o.identityFile === undefined ? defaults.identityFile : expandPath(o.identityFile, cwd),
    passphraseEnv: o.passphraseEnv ?? defaults.passphraseEnv,
    passwordEnv: o.passwordEnv ?? defaults.passwordEnv,
    askPassword: o.askPassword ?? defaults.askPassword,
    agent: o.agent ?? defaults.agent,
    sudoPasswordEnv: o.sudoPasswordEnv ?? defaults.sudoPasswordEnv,
    connectTimeout: o.connectTimeout ?? defaults.connectTimeout,
  });
}

function provider(p: NonNullable<ParsedInventory['spec']['provider']>, cwd: string): ProviderSpec {
  const image = p.image.type === 'cloud' ? { type: 'cloud' as const, path: expandPath(p.image.path, cwd) } : { ...p.image };
  return { ...p, image };
}

/** spec.addons with the one default that depends on another field: the NFS provisioner is on when spec.nfs is set. */
function addons(spec: ParsedInventory['spec']): AddonsSpec {
  const { nfsProvisioner, metricsServer, monitoring } = spec.addons;
  return {
    nfsProvisioner: compact({ ...nfsProvisioner, enabled: nfsProvisioner.enabled ?? spec.nfs !== undefined }),
    metricsServer: compact({ ...metricsServer }),
    monitoring: { ...monitoring },
  };
}

export function normalise(parsed: ParsedInventory, cwd: string = process.cwd()): Inventory {
  const { spec } = parsed;
  const ssh = sshDefaults(spec.ssh, cwd);
  const nodes: InventoryNode[] = spec.nodes.map((n) => ({
    name: n.name,
    role: n.role,
    address: n.address,
    ssh: nodeSsh(n, ssh, cwd),
  }));
  const inventory: Inventory = {
    apiVersion: parsed.apiVersion,
    kind: parsed.kind,
    metadata: { name: parsed.metadata.name },
    spec: compact({
      kubernetes: compact({ ...spec.kubernetes, bundle: spec.kubernetes.bundle === undefined ? undefined : expandPath(spec.kubernetes.bundle, cwd) }),
      network: { nodeCidr: spec.network.nodeCidr, flannel: compact({ ...spec.network.flannel }) },
      ssh,
      nodes,
      runtime: {
        containerd: { source: spec.runtime.containerd.source },
        docker: spec.runtime.docker,
        registryMirrors: Object.fromEntries(Object.entries(spec.runtime.registryMirrors).map(([k, v]) => [k, [...v]])),
      },
      mirrors: compact({ ...spec.mirrors }),
      nfs: spec.nfs === undefined ? undefined : { ...spec.nfs },
      addons: addons(spec),
      checks: { image: spec.checks.image },
      timing: { profile: spec.timing.profile, waitFactor: spec.timing.waitFactor ?? DEFAULTS.waitFactor[spec.timing.profile] },
      provider: spec.provider === undefined ? undefined : provider(spec.provider, cwd),
    }),
  };
  return deepFreeze(inventory);
}
