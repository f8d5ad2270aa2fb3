import { isIP } from 'node:net';
import type { Step } from '../engine/types.js';
import type { Inventory } from '../inventory/types.js';
import { initNode } from '../inventory/topology.js';
import { fileContent } from '../facts/file.js';
import { fileChanges } from '../host/managed-file.js';

export const HOSTS_BEGIN = '# BEGIN kubelab nodes (managed: edits inside this block are overwritten)';
export const HOSTS_END = '# END kubelab nodes';

/**
 * /etc/hosts with one managed block mapping every node name to its address. The block is rewritten where it
 * stands (appended once when missing). Elsewhere in the file, node names are removed from lines that map them
 * to another address (Vagrant's `127.0.1.1 <hostname>` would otherwise make the node resolve itself to loopback);
 * a line left without names is dropped. Everything else is kept as it was.
 */
export function renderHosts(current: string, nodes: ReadonlyArray<{ name: string; address: string }>): string {
  const names = new Set(nodes.map((n) => n.name));
  const width = Math.max(...nodes.map((n) => n.address.length));
  const block = [HOSTS_BEGIN, ...nodes.map((n) => `${n.address.padEnd(width)} ${n.name}`), HOSTS_END];

  const out: string[] = [];
  let inBlock = false;
  let placed = false;
  for (const line of current.split('\n')) {
    if (line.trim() === HOSTS_BEGIN) {
      inBlock = true;
      if (!placed) out.push(...block);
      placed = true;
      continue;
    }
    if (inBlock) {
      if (line.trim() === HOSTS_END) inBlock = false;
      continue;
    }
    out.push(stripNames(line, names));
  }
  const lines = out.filter((l): l is string => l !== DROP);
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (!placed) lines.push(...(lines.length ? [''] : []), ...block);
  return `${lines.join('\n')}\n`;
}

const DROP = '\u0000drop';

function stripNames(line: string, names: Set<string>): string {
  const [body = '', ...comment] = line.split('#');
  const fields = body.trim().split(/\s+/).filter(Boolean);
  if (fields.length < 2 || !fields.slice(1).some((f) => names.has(f))) return line;
  const kept = fields.slice(1).filter((f) => !names.has(f));
  if (!kept.length) return DROP;
  return [fields[0], ...kept].join(' ') + (comment.length ? ` #${comment.join('#')}` : '');
}

/**
 * The names the managed block maps: every node, plus the host of spec.kubernetes.controlPlaneEndpoint when it
 * is a name that is not a node's (it must resolve on every node: kubeadm's kubeconfigs and the joins use it),
 * mapped to the first control-plane node.
 */
export function hostEntries(inv: Inventory): { name: string; address: string }[] {
  const entries = inv.spec.nodes.map((n) => ({ name: n.name, address: n.address }));
  const endpoint = inv.spec.kubernetes.controlPlaneEndpoint?.replace(/:\d+$/, '');
  if (endpoint && !isIP(endpoint) && !entries.some((e) => e.name === endpoint)) {
    entries.push({ name: endpoint, address: initNode(inv).address });
  }
  return entries;
}

export const etcHosts: Step = {
  name: 'etc-hosts',
  files: ({ inv }) => [{ scope: 'node', path: '/etc/hosts', content: renderHosts('127.0.0.1 localhost\n', hostEntries(inv)) }],
  async plan(host) {
    const current = (await host.facts.get(fileContent('/etc/hosts'))) ?? '';
    return fileChanges(host, '/etc/hosts', renderHosts(current, hostEntries(host.inv)));
  },
};
