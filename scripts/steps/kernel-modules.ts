import type { Change, Step } from '../engine/types.js';
import { kernelModules } from '../facts/kernel-modules.js';
import { fileChanges, MANAGED_HEADER } from '../host/managed-file.js';

/** Needed by containerd (overlay) and by flannel's bridged pod traffic (br_netfilter). */
export const K8S_MODULES = ['overlay', 'br_netfilter'] as const;
export const MODULES_LOAD_FILE = '/etc/modules-load.d/kubelab-k8s.conf';

export function renderModulesLoad(modules: readonly string[]): string {
  return `${MANAGED_HEADER}${modules.join('\n')}\n`;
}

/** Modules loaded now (modprobe) and at boot (modules-load.d). */
export const kernelModulesStep: Step = {
  name: 'kernel-modules',
  files: () => [{ scope: 'node', path: MODULES_LOAD_FILE, content: renderModulesLoad(K8S_MODULES) }],
  async plan(host) {
    const changes: Change[] = await fileChanges(host, MODULES_LOAD_FILE, renderModulesLoad(K8S_MODULES));
    const { available } = await host.facts.get(kernelModules);
    const missing = K8S_MODULES.filter((m) => !available.has(m));
    if (missing.length) {
      changes.push({
        description: `modprobe ${missing.join(' ')}`,
        apply: async (h) => {
          for (const m of missing) await h.run(['modprobe', '--', m]);
        },
      });
    }
    return changes;
  },
};
