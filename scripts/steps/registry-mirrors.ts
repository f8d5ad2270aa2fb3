import type { Change, ManagedFile, Step } from '../engine/types.js';
import type { Inventory } from '../inventory/types.js';
import { renderRegistryHosts } from '../render/containerd.js';
import { CERTS_DIR } from './containerd-config.js';
import { fileChanges } from '../host/managed-file.js';

/** containerd's certs.d hosts.toml for each mirrored registry. */
function mirrorFiles(inv: Inventory): ManagedFile[] {
  return Object.entries(inv.spec.runtime.registryMirrors).map(([registry, mirrors]) => ({
    scope: 'node',
    path: `${CERTS_DIR}/${registry}/hosts.toml`,
    content: renderRegistryHosts(registry, mirrors),
  }));
}

/** /etc/containerd/certs.d/<registry>/hosts.toml for each registry the inventory names mirrors for. */
export const registryMirrorsStep: Step = {
  name: 'registry-mirrors',
  appliesTo: (_n, inv) => Object.keys(inv.spec.runtime.registryMirrors).length > 0,
  files: ({ inv }) => mirrorFiles(inv),
  async plan(host) {
    const changes: Change[] = [];
    for (const f of mirrorFiles(host.inv)) changes.push(...(await fileChanges(host, f.path, f.content)));
    return changes;
  },
};
