/**
 * What a cluster of an inventory needs from the workstation, for `kubelab bundle build` and for `up`/`plan`
 * with install: binaries: the images it runs, the pinned manifest sets it applies, and the provider that hands
 * the install steps their verified files (engine RunSettings.installArtifacts).
 */
import { join, resolve } from 'node:path';
import { controlPlaneImages, workloadImages } from '../artifacts/image-list.js';
import { BUNDLE_MANIFESTS_DIR, buildBundle, readBundleIndex, type BundleIndex } from '../artifacts/bundle.js';
import { resolveVersion } from '../artifacts/downloads.js';
import type { Arch } from '../engine/install-artifacts.js';
import { loadLock, lockedFiles, type LockEntry } from '../manifests/lock.js';
import type { OnDownload } from '../util/download-notice.js';
import { prepareArtifacts } from '../artifacts/prepare.js';
import type { RunSettings } from '../engine/types.js';
import type { Inventory } from '../inventory/types.js';
import { UsageError } from '../util/errors.js';
import { KUBE_PROMETHEUS_SET } from '../render/kube-prometheus.js';
import { METRICS_SERVER_SET } from '../render/metrics-server.js';
import { NFS_PROVISIONER_SET } from '../render/nfs-provisioner.js';
import { desiredKubePrometheus } from '../steps/addon-kube-prometheus.js';
import { desiredMetricsServer } from '../steps/addon-metrics-server.js';
import { desiredNfsProvisioner } from '../steps/addon-nfs-provisioner.js';
import { desiredFlannel } from '../steps/flannel.js';

/** The pinned manifest sets the cluster applies: flannel and each enabled addon. */
export function clusterManifestSets(inv: Inventory): string[] {
  const { addons } = inv.spec;
  return [
    'flannel',
    ...(addons.nfsProvisioner.enabled ? [NFS_PROVISIONER_SET] : []),
    ...(addons.metricsServer.enabled ? [METRICS_SERVER_SET] : []),
    ...(addons.monitoring.enabled ? [KUBE_PROMETHEUS_SET] : []),
  ];
}

/**
 * Every image the cluster runs: kubeadm's control-plane images of the exact version, the images of the rendered
 * flannel and enabled addons (read from the objects the steps apply, so the inventory's image overrides are
 * followed), and the smoke checks' image (spec.checks.image).
 */
export async function clusterImages(inv: Inventory, settings: RunSettings, version: string): Promise<string[]> {
  const cluster = { inv, settings };
  const { addons } = inv.spec;
  const objects = [
    ...(await desiredFlannel(cluster, [])),
    ...(addons.nfsProvisioner.enabled ? await desiredNfsProvisioner(cluster) : []),
    ...(addons.metricsServer.enabled ? await desiredMetricsServer(cluster) : []),
    ...(addons.monitoring.enabled ? Object.values(await desiredKubePrometheus(cluster)).flat() : []),
  ];
  return [...new Set([...controlPlaneImages(version, inv.spec.kubernetes.imageRepository), ...workloadImages(objects), inv.spec.checks.image])];
}

/**
 * The run's source of install artifacts: the bundle (spec.kubernetes.bundle or --bundle; every image the cluster
 * runs must be in it, checked before any node changes) or the workstation's artifact cache (downloading what is
 * missing unless offline).
 */
export function installArtifactsProvider(settings: RunSettings): NonNullable<RunSettings['installArtifacts']> {
  return async (inv, arch) => {
    const bundle = inv.spec.kubernetes.bundle;
    const requiredImages = bundle ? await clusterImages(inv, settings, (await readBundleIndex(bundle)).kubernetesVersion) : undefined;
    return prepareArtifacts(inv, arch, {
      cacheDir: settings.artifactCacheDir,
      offline: settings.offline,
      ...(requiredImages ? { requiredImages } : {}),
      ...(settings.onDownload ? { onDownload: settings.onDownload } : {}),
    });
  };
}

/** The inventory with the bundle of `--bundle PATH` (which wins over spec.kubernetes.bundle), or as it is. */
export function withBundle(inv: Inventory, bundle: string | undefined): Inventory {
  if (bundle === undefined) return inv;
  if (inv.spec.kubernetes.install !== 'binaries') {
    throw new UsageError(`--bundle needs spec.kubernetes.install: binaries (the inventory says ${inv.spec.kubernetes.install})`, 'set spec.kubernetes.install: binaries, or drop --bundle');
  }
  return { ...inv, spec: { ...inv.spec, kubernetes: { ...inv.spec.kubernetes, bundle: resolve(bundle) } } };
}

/**
 * The run settings of a command that may install: the artifact provider, and a bundle's pinned manifests read
 * before the cache (a bundle run downloads nothing).
 */
export function installSettings(inv: Inventory, settings: RunSettings): RunSettings {
  const bundle = inv.spec.kubernetes.bundle;
  const withSeeds: RunSettings = bundle ? { ...settings, manifestSeedDirs: [join(bundle, BUNDLE_MANIFESTS_DIR), ...settings.manifestSeedDirs] } : settings;
  return { ...withSeeds, installArtifacts: installArtifactsProvider(withSeeds) };
}

/**
 * Writes (or brings up to date) the offline bundle of a cluster in `out`: the exact release files, the pinned
 * manifests it applies and an archive of every image it runs, all through the workstation's caches (a second
 * build downloads nothing). What `kubelab bundle build` and `kubelab class up` build.
 */
export async function buildClusterBundle(
  inv: Inventory,
  o: { out: string; arch: Arch; settings: RunSettings; onDownload?: OnDownload },
): Promise<BundleIndex> {
  const { settings, onDownload } = o;
  const cacheDir = settings.artifactCacheDir;
  const offline = settings.offline;
  const notice = onDownload ? { onDownload } : {};
  const version = await resolveVersion(inv.spec.kubernetes.version, { cacheDir, offline, mirrors: inv.spec.mirrors, ...notice });
  const images = await clusterImages(inv, { ...settings, ...notice }, version);
  const lock = await loadLock();
  const manifests: LockEntry[] = clusterManifestSets(inv).flatMap((id) => lockedFiles(lock, id));
  return buildBundle(inv, {
    out: o.out,
    arch: o.arch,
    cacheDir,
    offline,
    images,
    manifests,
    manifestOptions: { cacheDir: settings.manifestCacheDir, offline, seedDirs: settings.manifestSeedDirs, ...notice },
    ...notice,
  });
}
