import type { Change, Step } from '../engine/types.js';
import { sysctlValues } from '../facts/sysctl.js';
import { fileChanges, MANAGED_HEADER } from '../host/managed-file.js';

export const K8S_SYSCTL: Readonly<Record<string, string>> = {
  'net.bridge.bridge-nf-call-iptables': '1',
  'net.bridge.bridge-nf-call-ip6tables': '1',
  'net.ipv4.ip_forward': '1',
};
export const SYSCTL_FILE = '/etc/sysctl.d/99-kubelab-k8s.conf';

export function renderSysctl(values: Readonly<Record<string, string>>): string {
  return MANAGED_HEADER + Object.entries(values).map(([k, v]) => `${k} = ${v}\n`).join('');
}

/** Kernel parameters set now (sysctl -p) and at boot (sysctl.d). Runs after kernel-modules (bridge keys). */
export const sysctlStep: Step = {
  name: 'sysctl',
  files: () => [{ scope: 'node', path: SYSCTL_FILE, content: renderSysctl(K8S_SYSCTL) }],
  async plan(host) {
    const changes: Change[] = await fileChanges(host, SYSCTL_FILE, renderSysctl(K8S_SYSCTL));
    const live = await host.facts.get(sysctlValues(Object.keys(K8S_SYSCTL)));
    const wrong = Object.entries(K8S_SYSCTL).filter(([k, v]) => live.get(k) !== v);
    if (wrong.length) {
      changes.push({
        description: `set ${wrong.map(([k, v]) => `${k}=${v}`).join(' ')}`,
        apply: async (h) => {
          await h.run(['sysctl', '-p', SYSCTL_FILE]);
        },
      });
    }
    return changes;
  },
};
