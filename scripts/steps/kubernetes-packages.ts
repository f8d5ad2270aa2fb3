import { StepError } from '../engine/errors.js';
import type { Change, Step } from '../engine/types.js';
import { availableVersions, heldPackages, installedPackages } from '../facts/dpkg.js';
import { minorOf } from '../inventory/versions.js';
import { aptUpdate, packageChanges } from '../host/apt.js';

export const KUBE_PACKAGES = ['kubelet', 'kubeadm', 'kubectl'] as const;
/** crictl, no longer pulled in by kubeadm since 1.32, from the same repository. */
export const EXTRA_PACKAGES = ['cri-tools'] as const;

/**
 * The apt version to pin for an inventory version: "1.35.2" -> the newest 1.35.2-* build; "1.35" -> the newest
 * 1.35.* build. Versions are as apt-cache madison lists them (newest first), e.g. "1.35.2-1.1".
 */
export function pickVersion(wanted: string, available: readonly string[]): string | undefined {
  const minor = minorOf(wanted);
  const exactPatch = /^1\.\d+\.\d+$/.test(wanted);
  return available.find((v) => (exactPatch ? v.startsWith(`${wanted}-`) : new RegExp(`^1\\.${minor}\\.\\d+-`).test(v)));
}

/** kubelet, kubeadm and kubectl pinned to the requested version and held; the installed patch is kept on re-runs. */
export const kubernetesPackagesStep: Step = {
  name: 'kubernetes-packages',
  appliesTo: (_node, inv) => inv.spec.kubernetes.install === 'packages',
  async plan(host) {
    const wanted = host.inv.spec.kubernetes.version;
    const current = (await host.facts.get(installedPackages(KUBE_PACKAGES))).installed.get('kubeadm');
    const minor = minorOf(wanted);
    // a node already on a matching version stays there (no surprise upgrades on re-runs)
    const keep =
      current && (/^1\.\d+\.\d+$/.test(wanted) ? current.startsWith(`${wanted}-`) : current.startsWith(`1.${minor}.`));
    let version = keep ? current : undefined;
    const changes: Change[] = [];
    if (!version) {
      let available = await host.facts.get(availableVersions('kubeadm'));
      version = pickVersion(wanted, available);
      if (!version) {
        // the lists may predate the repository: install after an update, deciding the version then
        changes.push({
          description: `apt-get install kubelet kubeadm kubectl ${wanted} (version chosen after apt-get update)`,
          apply: async (h) => {
            await aptUpdate(h, true);
            h.facts.clear();
            available = await h.facts.get(availableVersions('kubeadm'));
            const v = pickVersion(wanted, available);
            if (!v) {
              throw new StepError(
                `no kubeadm ${wanted} in the apt repository (found: ${available.slice(0, 5).join(', ') || 'none'})`,
                'check spec.kubernetes.version and spec.kubernetes.packageRepository',
              );
            }
            for (const c of await packageChanges(h, [...KUBE_PACKAGES, ...EXTRA_PACKAGES], new Map(KUBE_PACKAGES.map((p) => [p, v])))) {
              await c.apply(h);
            }
          },
        });
      }
    }
    if (version) {
      const pins = new Map(KUBE_PACKAGES.map((p) => [p, version!]));
      changes.push(...(await packageChanges(host, [...KUBE_PACKAGES, ...EXTRA_PACKAGES], pins)));
    }
    const held = await host.facts.get(heldPackages);
    const unheld = KUBE_PACKAGES.filter((p) => !held.has(p));
    if (unheld.length) {
      changes.push({ description: `apt-mark hold ${unheld.join(' ')}`, apply: async (h) => void (await h.run(['apt-mark', 'hold', ...unheld])) });
    }
    return changes;
  },
};
