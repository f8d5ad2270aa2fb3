import type { Phase } from '../engine/types.js';
import { etcHosts } from '../steps/etc-hosts.js';
import { hostnameStep } from '../steps/hostname.js';
import { kernelModulesStep } from '../steps/kernel-modules.js';
import { osSupported } from '../steps/os-supported.js';
import { swapStep } from '../steps/swap.js';
import { sysctlStep } from '../steps/sysctl.js';

/** Node basics every kubeadm node needs; the OS check comes first so nothing changes on an unsupported host. */
export const osPhase: Phase = {
  name: 'os',
  title: 'Prepare the OS (hostname, hosts, swap, modules, sysctl)',
  steps: [osSupported, hostnameStep, etcHosts, swapStep, kernelModulesStep, sysctlStep],
};
