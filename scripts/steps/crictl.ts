import { stringify } from 'yaml';
import { CRI_SOCKET } from '../inventory/topology.js';
import type { Step } from '../engine/types.js';
import { commandExists } from '../facts/systemd.js';
import { fileChanges } from '../host/managed-file.js';


export function renderCrictlConfig(): string {
  return stringify({ 'runtime-endpoint': CRI_SOCKET, 'image-endpoint': CRI_SOCKET, timeout: 10 });
}

/** /etc/crictl.yaml pointing crictl at containerd, when crictl is installed. */
export const crictlStep: Step = {
  name: 'crictl',
  files: () => [{ scope: 'node', path: '/etc/crictl.yaml', content: renderCrictlConfig() }],
  async plan(host) {
    if (!(await host.facts.get(commandExists('crictl')))) return [];
    return fileChanges(host, '/etc/crictl.yaml', renderCrictlConfig());
  },
};
