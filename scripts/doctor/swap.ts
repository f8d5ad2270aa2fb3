/** swap-on, swap-in-fstab: kubelet refuses to start with swap on; an fstab swap entry brings it back at boot. */
import { fileContent } from '../facts/file.js';
import { activeSwaps } from '../facts/swap.js';
import { commentSwapEntries } from '../steps/swap.js';
import type { DoctorSource, Finding } from './types.js';

const FSTAB = fileContent('/etc/fstab');

/** The lines of /etc/fstab that enable swap: those the os phase comments out. */
function swapEntries(fstab: string): string[] {
  const commented = commentSwapEntries(fstab).split('\n');
  return fstab.split('\n').filter((line, i) => commented[i] !== line);
}

export const swapSource: DoctorSource = {
  name: 'swap',
  facts: () => [activeSwaps, FSTAB],
  diagnose(ctx) {
    const out: Finding[] = [];
    for (const node of ctx.nodes) {
      const active = ctx.value(node, activeSwaps);
      const fstab = ctx.value(node, FSTAB);
      const entries = fstab ? swapEntries(fstab) : [];
      if (active?.length) {
        out.push({
          code: 'swap-on',
          node: node.name,
          symptom: `swap is on: ${active.join(', ')}`,
          cause: entries.length
            ? `/etc/fstab still enables it (${entries.map((l) => l.trim()).join('; ')}), so it came back at boot; kubelet does not run with swap on`
            : 'swap was turned on again (swapon, or a systemd swap unit); kubelet does not run with swap on',
          ...ctx.fix.repaired({ phases: ['os'] }),
        });
      } else if (entries.length) {
        out.push({
          code: 'swap-in-fstab',
          node: node.name,
          symptom: `/etc/fstab enables swap: ${entries.map((l) => l.trim()).join('; ')}`,
          cause: 'swap is off now but comes back at the next boot, and kubelet then fails with "running with swap on is not supported"',
          ...ctx.fix.repaired({ phases: ['os'] }),
        });
      }
    }
    return out;
  },
};
