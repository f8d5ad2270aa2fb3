import type { Change, Step } from '../engine/types.js';
import { fileContent } from '../facts/file.js';
import { activeSwaps, swapUnits } from '../facts/swap.js';
import { fileChanges } from '../host/managed-file.js';

export const FSTAB_MARK = '#kubelab-swap-off# ';

/** /etc/fstab with every active swap entry commented out (marked, so a human can see who did it). */
export function commentSwapEntries(fstab: string): string {
  return fstab
    .split('\n')
    .map((line) => {
      const fields = line.trim().split(/\s+/);
      const isSwap = !line.trimStart().startsWith('#') && fields.length >= 3 && fields[2] === 'swap';
      return isSwap ? `${FSTAB_MARK}${line}` : line;
    })
    .join('\n');
}

/** Swap off now (swapoff), and after reboot (fstab entries commented, swap units masked). */
export const swapStep: Step = {
  name: 'swap',
  async plan(host) {
    const changes: Change[] = [];
    const active = await host.facts.get(activeSwaps);
    if (active.length) {
      changes.push({
        description: `swapoff ${active.join(', ')}`,
        apply: async (h) => {
          await h.run(['swapoff', '-a']);
        },
      });
    }
    const fstab = await host.facts.get(fileContent('/etc/fstab'));
    if (fstab !== null) {
      const fstabChanges = await fileChanges(host, '/etc/fstab', commentSwapEntries(fstab));
      changes.push(
        ...fstabChanges.map((c) => ({
          description: 'comment the swap entries in /etc/fstab',
          apply: async (h: Parameters<Change['apply']>[0]) => {
            await c.apply(h);
            await h.run(['systemctl', 'daemon-reload']);
          },
        })),
      );
    }
    const unmasked = (await host.facts.get(swapUnits)).filter((u) => u.load !== 'masked').map((u) => u.unit);
    if (unmasked.length) {
      changes.push({
        description: `mask ${unmasked.join(', ')}`,
        apply: async (h) => {
          await h.run(['systemctl', 'mask', '--', ...unmasked]);
        },
      });
    }
    return changes;
  },
};
