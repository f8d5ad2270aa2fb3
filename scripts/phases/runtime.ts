import type { Phase } from '../engine/types.js';
import { containerdConfigStep } from '../steps/containerd-config.js';
import { dockerRepoStep } from '../steps/docker-repo.js';
import { registryMirrorsStep } from '../steps/registry-mirrors.js';
import { runtimePackagesStep } from '../steps/runtime-packages.js';
import { dockerGroupStep, runtimeServicesStep } from '../steps/runtime-services.js';

/** containerd as the CRI runtime (SystemdCgroup, pinned sandbox image), optionally Docker Engine beside it. */
export const runtimePhase: Phase = {
  name: 'runtime',
  title: 'Container runtime (containerd, Docker)',
  steps: [dockerRepoStep, runtimePackagesStep, containerdConfigStep, registryMirrorsStep, runtimeServicesStep, dockerGroupStep],
};
