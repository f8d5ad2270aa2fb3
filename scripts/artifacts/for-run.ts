import { StepError } from '../engine/errors.js';
import type { ClusterContext } from '../engine/types.js';
import type { Arch, InstallArtifacts } from '../engine/install-artifacts.js';

/** Architectures the install steps accept, as `dpkg --print-architecture` prints them. */
export const ARCHES: readonly Arch[] = ['amd64', 'arm64'];

export function isArch(value: string): value is Arch {
  return (ARCHES as readonly string[]).includes(value);
}

/**
 * The one way install steps get the run's artifacts: the provider on the run settings (the workstation side:
 * cache or bundle; a fake list of local files in tests), asked once per run and architecture; nodes of the same
 * architecture share the promise.
 */
export function installArtifacts(cluster: ClusterContext, arch: Arch): Promise<InstallArtifacts> {
  const key = `artifacts:install:${arch}`;
  let hit = cluster.state.get(key) as Promise<InstallArtifacts> | undefined;
  if (!hit) {
    const provide = cluster.settings.installArtifacts;
    hit = provide
      ? provide(cluster.inv, arch)
      : Promise.reject(
          new StepError(
            'install: binaries needs the release files prepared on the workstation, and this run has no source for them',
            'use spec.kubernetes.install: packages for now',
          ),
        );
    cluster.state.set(key, hit);
  }
  return hit;
}
