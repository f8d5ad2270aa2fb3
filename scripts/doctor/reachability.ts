/** node-unreachable: a node the doctor could not read (nothing else is said about it). */
import type { DoctorSource, Finding } from './types.js';

export const reachabilitySource: DoctorSource = {
  name: 'reachability',
  facts: () => [],
  diagnose(ctx) {
    const out: Finding[] = [];
    for (const node of ctx.nodes) {
      const r = ctx.reads.get(node.name);
      if (!r?.error) continue;
      out.push({
        code: 'node-unreachable',
        node: node.name,
        symptom: `${node.name} (${node.ssh.host}:${node.ssh.port}) cannot be read over SSH: ${r.error}`,
        cause: 'the VM is off or still booting, its SSH port changed, or the credentials are refused',
        fix: ctx.inv.spec.provider ? ctx.fix.kubelab(['vm', 'up']) : `start the VM, then check: ${ctx.fix.exec(node.name, ['true'])}`,
      });
    }
    return out;
  },
};
