import type { Change, Step } from '../engine/types.js';
import { renderRegistryHosts } from '../render/containerd.js';
import { CERTS_DIR } from './containerd-config.js';
import { fileChanges } from '../host/managed-file.js';

/** /etc/containerd/certs.d/<registry>/hosts.toml for each registry the inventory names mirrors for. */
export const registryMirrorsStep: Step = {
  name: 'registry-mirrors',
  appliesTo: (_n, inv) => Object.keys(inv.spec.runtime.registryMirrors).length > 0,
  async plan(host) {
    const changes: Change[] = [];
    for (const [registry, mirrors] of Object.entries(host.inv.spec.runtime.registryMirrors)) {
      changes.push(...(await fileChanges(host, `${CERTS_DIR}/${registry}/hosts.toml`, renderRegistryHosts(registry, mirrors))));
    }
    return changes;
  },
};
