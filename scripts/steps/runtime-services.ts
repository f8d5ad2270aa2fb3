import type { Change, Step } from '../engine/types.js';
import { fileContent } from '../facts/file.js';
import { serviceChanges } from '../host/service.js';

/** containerd (and Docker when asked) enabled at boot and running. */
export const runtimeServicesStep: Step = {
  name: 'runtime-services',
  async plan(host) {
    const changes: Change[] = await serviceChanges(host, 'containerd');
    if (host.inv.spec.runtime.docker) changes.push(...(await serviceChanges(host, 'docker')));
    return changes;
  },
};

/** The SSH user may run docker without sudo (member of the docker group). */
export const dockerGroupStep: Step = {
  name: 'docker-group',
  appliesTo: (node, inv) => inv.spec.runtime.docker && node.ssh.user !== 'root',
  async plan(host) {
    const user = host.node.ssh.user;
    const group = await host.facts.get(fileContent('/etc/group'));
    const line = (group ?? '').split('\n').find((l) => l.startsWith('docker:'));
    const members = line?.split(':')[3]?.split(',') ?? [];
    if (members.includes(user)) return [];
    return [{ description: `add ${user} to the docker group`, apply: async (h) => void (await h.run(['usermod', '-aG', 'docker', '--', user])) }];
  },
};
