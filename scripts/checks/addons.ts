/**
 * Which addons the inventory enables, read defensively: every field of spec.addons is optional here (inventories
 * built by hand, or before spec.addons existed), absent meaning the same defaults as the inventory schema:
 * nfsProvisioner on when spec.nfs is set, metricsServer on, monitoring (kube-prometheus) off.
 */
import type { Inventory } from '../inventory/types.js';

export type AddonName = 'nfsProvisioner' | 'metricsServer' | 'monitoring';

interface AddonInfo {
  defaultEnabled(inv: Inventory): boolean;
  /** Where its pods run when spec.addons does not say. */
  namespace: string;
}

export const ADDONS: Readonly<Record<AddonName, AddonInfo>> = {
  nfsProvisioner: { defaultEnabled: (inv) => inv.spec.nfs !== undefined, namespace: 'nfs-provisioner' },
  metricsServer: { defaultEnabled: () => true, namespace: 'kube-system' },
  monitoring: { defaultEnabled: () => false, namespace: 'monitoring' },
};

/** spec.addons.<addon> as an untyped record, undefined when absent. */
export function addonSpec(inv: Inventory, addon: AddonName): Record<string, unknown> | undefined {
  const addons = (inv.spec as { addons?: unknown }).addons;
  if (!addons || typeof addons !== 'object') return undefined;
  const v = (addons as Record<string, unknown>)[addon];
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
}

export function addonEnabled(inv: Inventory, addon: AddonName): boolean {
  const enabled = addonSpec(inv, addon)?.enabled;
  return typeof enabled === 'boolean' ? enabled : ADDONS[addon].defaultEnabled(inv);
}

export function addonNamespace(inv: Inventory, addon: AddonName): string {
  const ns = addonSpec(inv, addon)?.namespace;
  return typeof ns === 'string' && ns ? ns : ADDONS[addon].namespace;
}

/** The NFS StorageClass kubelab installs and whether it is marked default (spec.addons.nfsProvisioner). */
export function nfsStorageClass(inv: Inventory): { name: string; isDefault: boolean } {
  const spec = addonSpec(inv, 'nfsProvisioner');
  return {
    name: typeof spec?.storageClass === 'string' && spec.storageClass ? spec.storageClass : 'nfs-client',
    isDefault: spec?.default !== false,
  };
}
