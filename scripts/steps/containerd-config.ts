import { StepError } from '../engine/errors.js';
import type { Step } from '../engine/types.js';
import { containerdDefaultConfig, containerdVersion } from '../facts/containerd.js';
import { commandExists } from '../facts/systemd.js';
import { minimumContainerdMajor, pauseImage } from '../inventory/versions.js';
import { renderContainerdConfig } from '../render/containerd.js';
import type { Inventory } from '../inventory/types.js';
import { fileChanges } from '../host/managed-file.js';
import { restartChange } from '../host/service.js';

export const CONTAINERD_CONFIG = '/etc/containerd/config.toml';
export const CERTS_DIR = '/etc/containerd/certs.d';

export function containerdSettings(inv: Inventory): { sandboxImage: string; registryConfigPath?: string } {
  const k = inv.spec.kubernetes;
  return {
    sandboxImage: pauseImage(k.version, k.imageRepository),
    registryConfigPath: Object.keys(inv.spec.runtime.registryMirrors).length ? CERTS_DIR : undefined,
  };
}

/** /etc/containerd/config.toml generated from `containerd config default`, edited as TOML; restart on change. */
export const containerdConfigStep: Step = {
  name: 'containerd-config',
  async plan(host) {
    if (!(await host.facts.get(commandExists('containerd')))) {
      // plan on a node without containerd yet: the config is computed after the install, when applying
      return [{ description: `write ${CONTAINERD_CONFIG} from containerd config default (after install)`, apply: async () => {} }];
    }
    const version = await host.facts.get(containerdVersion);
    const need = minimumContainerdMajor(host.inv.spec.kubernetes.version);
    if (version.major < need) {
      throw new StepError(
        `containerd ${version.text} is too old for Kubernetes ${host.inv.spec.kubernetes.version} (needs ${need}.x)`,
        'set spec.runtime.containerd.source: docker, or choose Kubernetes 1.35 or earlier',
      );
    }
    const desired = renderContainerdConfig(await host.facts.get(containerdDefaultConfig), containerdSettings(host.inv));
    const write = await fileChanges(host, CONTAINERD_CONFIG, desired);
    return write.length ? [...write, restartChange('containerd')] : [];
  },
};
