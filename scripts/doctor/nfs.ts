/**
 * nfs-server-not-running, nfs-export-missing (on spec.nfs.server: the unit, and `exportfs -v`, the kernel's export
 * table), pv-server-unreachable (a PersistentVolume whose nfs.server is no reachable inventory node).
 */
import { fileContent } from '../facts/file.js';
import { nfsExports } from '../facts/nfs-exports.js';
import type { InventoryNode } from '../inventory/types.js';
import { exportLine, renderExports } from '../steps/nfs.js';
import { serviceFacts, serviceFinding, serviceMore } from './services.js';
import type { DoctorContext, DoctorSource, Finding } from './types.js';

const EXPORTS_FILE = fileContent('/etc/exports');
const isServer = (ctx: Pick<DoctorContext, 'inv'>, node: InventoryNode): boolean => ctx.inv.spec.nfs?.server === node.name;

async function pvFindings(ctx: DoctorContext): Promise<Finding[]> {
  if (!ctx.api) return [];
  const out: Finding[] = [];
  for (const pv of await ctx.api.listPvs()) {
    const server = pv.spec?.nfs?.server;
    if (!server) continue;
    const node = ctx.inv.spec.nodes.find((n) => n.address === server || n.name === server);
    const read = node && ctx.reads.get(node.name);
    if (node && (!read || !read.error)) continue;
    out.push({
      code: 'pv-server-unreachable',
      symptom: `PersistentVolume ${pv.metadata.name} (${pv.spec?.nfs?.path ?? '?'}) is served by ${server}, ${node ? `node ${node.name}, which is unreachable (${read!.error})` : 'which is no inventory node address'}`,
      cause: node
        ? `the NFS server node cannot be reached: pods using ${pv.metadata.name} hang in ContainerCreating (mount timeouts)`
        : `the PV was made for another NFS server (an old address, or one outside the lab): pods using it cannot mount it; a PV's nfs.server cannot be changed`,
      fix: node
        ? `bring ${node.name} back (start its VM${ctx.inv.spec.provider ? `: ${ctx.fix.kubelab(['vm', 'up'])}` : ''}), then ${ctx.fix.up('nfs')}`
        : `delete the PVC bound to ${pv.metadata.name} and create it again (the provisioner makes a new PV on ${ctx.inv.spec.nfs?.server ?? 'the inventory NFS server'}): ${ctx.fix.kubectl(['get', 'pv', pv.metadata.name, '-o', 'jsonpath={.spec.claimRef.namespace}/{.spec.claimRef.name}'])}`,
    });
  }
  return out;
}

export const nfsSource: DoctorSource = {
  name: 'nfs',
  facts: (node, inv) => (isServer({ inv }, node) ? [...serviceFacts('nfs-server'), nfsExports, EXPORTS_FILE] : []),
  more: (node, first) => serviceMore('nfs-server', first),
  async diagnose(ctx) {
    const nfs = ctx.inv.spec.nfs;
    if (!nfs) return [];
    const out: Finding[] = [];
    for (const node of ctx.nodes.filter((n) => isServer(ctx, n))) {
      const down = serviceFinding(ctx, node, { unit: 'nfs-server', code: 'nfs-server-not-running', repair: () => ({ phases: ['nfs'] }) });
      if (down) {
        out.push(down);
        continue; // no exports while it is down: one finding
      }
      const exports = ctx.value(node, nfsExports);
      if (!exports || exports.some((e) => e.path === nfs.path)) continue;
      const file = ctx.value(node, EXPORTS_FILE) ?? '';
      const fileRight = renderExports(file, nfs.path, exportLine(ctx.inv)) === file;
      out.push({
        code: 'nfs-export-missing',
        node: node.name,
        symptom: `${nfs.path} is not exported (exportfs -v lists ${exports.length ? exports.map((e) => `${e.path} ${e.client}`).join(', ') : 'nothing'})`,
        cause: fileRight
          ? '/etc/exports has the entry but it is not exported (exportfs -u / -r since, or the export directory was missing when nfs-server started)'
          : `/etc/exports lacks the line "${exportLine(ctx.inv)}"`,
        ...ctx.fix.repaired(fileRight ? { commands: [{ node: node.name, argv: ['exportfs', '-ra'] }] } : { phases: ['nfs'] }),
      });
    }
    return [...out, ...(await pvFindings(ctx))];
  },
};
