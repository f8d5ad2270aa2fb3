import { StepError } from '../engine/errors.js';
import type { Step } from '../engine/types.js';
import type { Inventory } from '../inventory/types.js';
import { availableVersions, installedPackages } from '../facts/dpkg.js';
import { parseContainerdVersion } from '../facts/containerd.js';
import { minimumContainerdMajor } from '../inventory/versions.js';
import { packageChanges } from '../host/apt.js';

/** The packages of the container runtime: containerd (distro or Docker's containerd.io), and Docker Engine. */
export function runtimePackages(inv: Inventory): { containerd: string; all: string[] } {
  const { containerd, docker } = inv.spec.runtime;
  if (containerd.source === 'docker') {
    return { containerd: 'containerd.io', all: ['containerd.io', ...(docker ? ['docker-ce', 'docker-ce-cli'] : [])] };
  }
  return { containerd: 'containerd', all: ['containerd', ...(docker ? ['docker.io'] : [])] };
}

/** Installs containerd (and Docker when asked), refusing a containerd too old for the Kubernetes version first. */
export const runtimePackagesStep: Step = {
  name: 'runtime-packages',
  async plan(host) {
    const pkgs = runtimePackages(host.inv);
    const need = minimumContainerdMajor(host.inv.spec.kubernetes.version);
    if (need > 1) {
      const installed = (await host.facts.get(installedPackages([pkgs.containerd]))).installed.get(pkgs.containerd);
      const version = installed ?? (await host.facts.get(availableVersions(pkgs.containerd)))[0];
      if (version && parseContainerdVersion(version).major < need) {
        throw new StepError(
          `Kubernetes ${host.inv.spec.kubernetes.version} needs containerd ${need}.x or later; ${pkgs.containerd} here is ${version}`,
          host.inv.spec.runtime.containerd.source === 'distro'
            ? "set spec.runtime.containerd.source: docker (Docker's containerd.io is 2.x), or choose Kubernetes 1.35 or earlier"
            : 'choose Kubernetes 1.35 or earlier',
        );
      }
    }
    return packageChanges(host, pkgs.all);
  },
};
