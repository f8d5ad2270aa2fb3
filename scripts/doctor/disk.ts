/** disk-pressure, inode-pressure: /var (containerd's images, kubelet's pods, the journal) more than 90% full. */
import { diskUse, inodeUse, type DiskUse } from '../facts/disk.js';
import type { Fact } from '../engine/types.js';
import type { DoctorSource, Finding, FindingCode } from './types.js';

export const PRESSURE_PATH = '/var';
export const PRESSURE_PERCENT = 90;

const KINDS: readonly { fact: Fact<DiskUse>; code: FindingCode; what: string }[] = [
  { fact: diskUse(PRESSURE_PATH), code: 'disk-pressure', what: 'space' },
  { fact: inodeUse(PRESSURE_PATH), code: 'inode-pressure', what: 'inodes' },
];

export const diskSource: DoctorSource = {
  name: 'disk',
  facts: () => KINDS.map((k) => k.fact),
  diagnose(ctx) {
    const out: Finding[] = [];
    for (const node of ctx.nodes) {
      for (const k of KINDS) {
        const use = ctx.value(node, k.fact);
        if (!use || use.usedPercent === null || use.usedPercent <= PRESSURE_PERCENT) continue;
        out.push({
          code: k.code,
          node: node.name,
          symptom: `${PRESSURE_PATH} (${use.filesystem} on ${use.mountedOn}) has ${use.usedPercent}% of its ${k.what} used`,
          cause: `over ${PRESSURE_PERCENT}%: kubelet starts evicting pods and garbage-collecting images (DiskPressure), and containerd cannot unpack new images`,
          fix: `${ctx.fix.exec(node.name, ['crictl', 'rmi', '--prune'])}; ${ctx.fix.exec(node.name, ['journalctl', '--vacuum-size=200M'])}`,
        });
      }
    }
    return out;
  },
};
