import type { Change, HostContext, Step } from '../engine/types.js';
import type { Inventory } from '../inventory/types.js';
import { debArchitecture } from '../facts/dpkg.js';
import { osRelease } from '../facts/os-release.js';
import { fileContent } from '../facts/file.js';
import { markSourcesChanged, packageChanges } from '../host/apt.js';
import { fileChanges } from '../host/managed-file.js';

export const DOCKER_KEY = '/etc/apt/keyrings/docker.asc';
export const DOCKER_LIST = '/etc/apt/sources.list.d/docker.list';

/** The apt source line of Docker's repository for this OS (docs.docker.com/engine/install/{debian,ubuntu}). */
export function dockerSourceLine(osId: string, codename: string, arch: string): string {
  return `deb [arch=${arch} signed-by=${DOCKER_KEY}] https://download.docker.com/linux/${osId} ${codename} stable\n`;
}

export function usesDockerRepo(inv: Inventory): boolean {
  return inv.spec.runtime.containerd.source === 'docker';
}

/** Docker's apt repository and key, when spec.runtime.containerd.source is docker. */
export const dockerRepoStep: Step = {
  name: 'docker-repo',
  appliesTo: (_n, inv) => usesDockerRepo(inv),
  async plan(host: HostContext) {
    const os = await host.facts.get(osRelease);
    const changes: Change[] = await packageChanges(host, ['ca-certificates', 'curl']);
    if ((await host.facts.get(fileContent(DOCKER_KEY))) === null) {
      const url = `https://download.docker.com/linux/${os.id}/gpg`;
      changes.push({
        description: `download Docker's apt key to ${DOCKER_KEY}`,
        apply: async (h) => {
          await h.run(['install', '-d', '-m', '0755', '/etc/apt/keyrings']);
          await h.run(['curl', '-fsSL', '--retry', '5', '-o', DOCKER_KEY, url]);
          await h.run(['chmod', 'a+r', DOCKER_KEY]);
          markSourcesChanged(h);
        },
      });
    }
    const arch = await host.facts.get(debArchitecture);
    for (const c of await fileChanges(host, DOCKER_LIST, dockerSourceLine(os.id, os.codename, arch))) {
      changes.push({ description: c.description, apply: async (h) => (await c.apply(h), markSourcesChanged(h)) });
    }
    return changes;
  },
};
