import { randomBytes } from 'node:crypto';
import { StepError, tail } from '../engine/errors.js';
import type { Change, Step } from '../engine/types.js';
import type { Inventory, InventoryNode } from '../inventory/types.js';
import { fileContent } from '../facts/file.js';
import { packageChanges } from '../host/apt.js';
import { fileChanges } from '../host/managed-file.js';
import { serviceChanges } from '../host/service.js';
import { waitMs } from '../inventory/timing.js';

export const EXPORT_OPTIONS = 'rw,sync,no_subtree_check,no_root_squash';

const isServer = (node: InventoryNode, inv: Inventory): boolean => inv.spec.nfs?.server === node.name;

/** The single /etc/exports entry for the lab export, restricted to the host-only network. */
export function exportLine(inv: Inventory): string {
  return `${inv.spec.nfs!.path} ${inv.spec.network.nodeCidr}(${EXPORT_OPTIONS})`;
}

/**
 * /etc/exports with exactly one entry for `path`: an existing entry for the path is replaced where it stands
 * (duplicates dropped), otherwise the entry is appended. Other exports are kept.
 */
export function renderExports(current: string, path: string, line: string): string {
  const out: string[] = [];
  let placed = false;
  for (const l of current.split('\n')) {
    const first = l.trim().split(/\s+/)[0];
    if (!l.trimStart().startsWith('#') && first === path) {
      if (!placed) out.push(line);
      placed = true;
    } else out.push(l);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  if (!placed) out.push(line);
  return `${out.join('\n')}\n`;
}

/** nfs-common on every node (mount.nfs), so kubelet can mount NFS volumes anywhere. */
export const nfsClientStep: Step = {
  name: 'nfs-client',
  appliesTo: (_n, inv) => inv.spec.nfs !== undefined,
  plan: (host) => packageChanges(host, ['nfs-common']),
};

/** nfs-kernel-server on the server node, the export directory, one /etc/exports entry, exportfs -ra. */
export const nfsServerStep: Step = {
  name: 'nfs-server',
  appliesTo: isServer,
  files: ({ inv }) => [{ scope: 'node', path: '/etc/exports', content: renderExports('', inv.spec.nfs!.path, exportLine(inv)) }],
  async plan(host) {
    const path = host.inv.spec.nfs!.path;
    const changes: Change[] = await packageChanges(host, ['nfs-kernel-server']);
    const dir = await host.facts.get(fileContent(`${path}/.kubelab-export`));
    if (dir === null) {
      changes.push({
        description: `create the export directory ${path}`,
        apply: async (h) => {
          await h.run(['install', '-d', '-m', '0777', path]);
          await h.transport.put('This directory is exported over NFS by kubelab for the lab cluster.\n', `${path}/.kubelab-export`, { mode: 0o644 });
        },
      });
    }
    const current = (await host.facts.get(fileContent('/etc/exports'))) ?? '';
    for (const c of await fileChanges(host, '/etc/exports', renderExports(current, path, exportLine(host.inv)))) {
      changes.push({ description: `${c.description} (${exportLine(host.inv)})`, apply: async (h) => (await c.apply(h), void (await h.run(['exportfs', '-ra']))) });
    }
    changes.push(...(await serviceChanges(host, 'nfs-server')));
    return changes;
  },
};

/**
 * Proof that the export works from another node: mount it over the host-only network, write a file, read it
 * back, remove it, unmount. Runs on every node but the server, after the server's phase.
 */
export const nfsMountCheckStep: Step = {
  name: 'nfs-mount-check',
  appliesTo: (node, inv) => inv.spec.nfs !== undefined && !isServer(node, inv),
  plan: async () => [],
  async verify(host) {
    const { server, path } = host.inv.spec.nfs!;
    const address = host.inv.spec.nodes.find((n) => n.name === server)!.address;
    const token = randomBytes(8).toString('hex');
    const r = await host.transport.exec(
      [
        'sh',
        '-c',
        [
          'set -e',
          'dir=$(mktemp -d /run/kubelab-nfs.XXXXXX)',
          'trap \'umount "$dir" 2>/dev/null || true; rmdir "$dir"\' EXIT',
          'mount -t nfs -o soft,timeo=50,retrans=2 "$1" "$dir"',
          'printf %s "$2" > "$dir/.kubelab-probe-$3"',
          'got=$(cat "$dir/.kubelab-probe-$3")',
          'rm -f "$dir/.kubelab-probe-$3"',
          'test "$got" = "$2"',
        ].join('\n'),
        'sh',
        `${address}:${path}`,
        token,
        host.node.name,
      ],
      { timeoutMs: waitMs(host.inv, 60_000) },
    );
    if (r.code !== 0) {
      throw new StepError(
        `mounting ${address}:${path} from ${host.node.name} failed: ${tail(r.stderr || r.stdout)}`,
        `check that ${server} exports ${path} to ${host.inv.spec.network.nodeCidr} (exportfs -v on ${server}) and that ${host.node.name} reaches ${address} on the host-only network`,
      );
    }
  },
};
