import { stringify } from 'yaml';
import type { Step } from '../engine/types.js';
import { commandExists } from '../facts/systemd.js';
import { fileChanges } from './managed-file.js';

export const CONTAINERD_SOCKET = 'unix:///run/containerd/containerd.sock';

export function renderCrictlConfig(): string {
  return stringify({ 'runtime-endpoint': CONTAINERD_SOCKET, 'image-endpoint': CONTAINERD_SOCKET, timeout: 10 });
}

/** /etc/crictl.yaml pointing crictl at containerd, when crictl is installed. */
export const crictlStep: Step = {
  name: 'crictl',
  async plan(host) {
    if (!(await host.facts.get(commandExists('crictl')))) return [];
    return fileChanges(host, '/etc/crictl.yaml', renderCrictlConfig());
  },
};
