import type { Change, Step } from '../engine/types.js';
import type { Inventory } from '../inventory/types.js';
import { fileContent } from '../facts/file.js';
import { minorTag } from '../inventory/versions.js';
import { markSourcesChanged, packageChanges } from '../host/apt.js';
import { fileChanges } from '../host/managed-file.js';

export const K8S_KEYRING = '/etc/apt/keyrings/kubernetes-apt-keyring.gpg';
export const K8S_LIST = '/etc/apt/sources.list.d/kubernetes.list';

/** One repository per minor: https://pkgs.k8s.io/core:/stable:/v1.35/deb/ (or the mirror the inventory names). */
export function kubernetesRepoUrl(inv: Inventory): string {
  return `${inv.spec.kubernetes.packageRepository}/${minorTag(inv.spec.kubernetes.version)}/deb/`;
}

export function kubernetesSourceLine(inv: Inventory): string {
  return `deb [signed-by=${K8S_KEYRING}] ${kubernetesRepoUrl(inv)} /\n`;
}

/** Marks the repository key with the minor it was fetched for: a new minor fetches its own key again. */
const KEY_STAMP = `${K8S_KEYRING}.source`;

/** The pkgs.k8s.io apt repository for the chosen minor, its key dearmored under /etc/apt/keyrings. */
export const kubernetesRepoStep: Step = {
  name: 'kubernetes-repo',
  appliesTo: (_node, inv) => inv.spec.kubernetes.install === 'packages',
  files: ({ inv }) => [{ scope: 'node', path: K8S_LIST, content: kubernetesSourceLine(inv) }],
  async plan(host) {
    const url = kubernetesRepoUrl(host.inv);
    const changes: Change[] = await packageChanges(host, ['ca-certificates', 'curl', 'gpg']);
    const keyFor = await host.facts.get(fileContent(KEY_STAMP));
    if (keyFor !== `${url}Release.key\n`) {
      changes.push({
        description: `fetch ${url}Release.key into ${K8S_KEYRING}`,
        apply: async (h) => {
          await h.run(['install', '-d', '-m', '0755', '/etc/apt/keyrings']);
          await h.run([
            'sh',
            '-c',
            'set -e; curl -fsSL --retry 5 "$1" | gpg --dearmor --yes -o "$2.tmp"; chmod 0644 "$2.tmp"; mv -f "$2.tmp" "$2"',
            'sh',
            `${url}Release.key`,
            K8S_KEYRING,
          ]);
          await h.transport.put(`${url}Release.key\n`, KEY_STAMP, { mode: 0o644 });
          markSourcesChanged(h);
        },
      });
    }
    for (const c of await fileChanges(host, K8S_LIST, kubernetesSourceLine(host.inv))) {
      changes.push({ description: c.description, apply: async (h) => (await c.apply(h), markSourcesChanged(h)) });
    }
    return changes;
  },
};
