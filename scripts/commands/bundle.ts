import { resolve } from 'node:path';
import { archiveBundle, buildBundle } from '../artifacts/bundle.js';
import { controlPlaneImages, workloadImages } from '../artifacts/image-list.js';
import { resolveVersion } from '../artifacts/downloads.js';
import type { Arch } from '../engine/install-artifacts.js';
import { KUBE_PROMETHEUS_SET } from '../render/kube-prometheus.js';
import { METRICS_SERVER_SET } from '../render/metrics-server.js';
import { NFS_PROVISIONER_SET } from '../render/nfs-provisioner.js';
import type { RunSettings } from '../engine/types.js';
import { loadInventory } from '../inventory/load.js';
import type { Inventory } from '../inventory/types.js';
import { loadLock, lockedFiles, type LockEntry } from '../manifests/lock.js';
import { desiredKubePrometheus } from '../steps/addon-kube-prometheus.js';
import { desiredMetricsServer } from '../steps/addon-metrics-server.js';
import { desiredNfsProvisioner } from '../steps/addon-nfs-provisioner.js';
import { desiredFlannel } from '../steps/flannel.js';
import type { CliContext } from './cli-context.js';
import { UsageError } from '../util/errors.js';
import { parseCommon } from './options.js';

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

/** `kubelab bundle build -i FILE [--out DIR] [--arch amd64|arm64] [--offline] [--archive]`: an offline bundle folder (and DIR.tar). */
export async function bundleCommand(args: string[], ctx: CliContext): Promise<number> {
  const { common, values, positionals } = parseCommon(args, {
    out: { type: 'string' },
    arch: { type: 'string', default: 'amd64' },
    offline: { type: 'boolean', default: false },
    archive: { type: 'boolean', default: false },
  });
  if (positionals[0] !== 'build' || positionals.length > 1) throw new UsageError('usage: kubelab bundle build -i FILE [--out DIR] [--arch amd64|arm64] [--offline] [--archive]');
  const arch = values.arch as string;
  if (arch !== 'amd64' && arch !== 'arm64') throw new UsageError(`--arch ${arch}: expected amd64 or arm64`);
  const inv = await loadInventory(common.inventory);
  const offline = values.offline === true;
  const out = resolve(typeof values.out === 'string' && values.out ? values.out : `${inv.metadata.name}-bundle`);
  const settings: RunSettings = { ...ctx.settings, offline };
  const cacheDir = settings.artifactCacheDir;
  const version = await resolveVersion(inv.spec.kubernetes.version, { cacheDir, offline, mirrors: inv.spec.mirrors });
  const images = await clusterImages(inv, settings, version);
  const lock = await loadLock();
  const manifests: LockEntry[] = clusterManifestSets(inv).flatMap((id) => lockedFiles(lock, id));
  const index = await buildBundle(inv, {
    out,
    arch: arch as Arch,
    cacheDir,
    offline,
    images,
    manifests,
    manifestOptions: { cacheDir: settings.manifestCacheDir, offline, seedDirs: settings.manifestSeedDirs },
  });
  const archive = values.archive === true ? `${out}.tar` : undefined;
  if (archive) await archiveBundle(out, archive);
  if (common.output === 'json') ctx.stdout.write(`${JSON.stringify({ type: 'bundle', path: out, ...(archive ? { archive } : {}), ...index })}\n`);
  else {
    for (const f of index.files) ctx.stdout.write(`file   ${f.path}  ${f.version}  sha256:${f.sha256}\n`);
    for (const m of index.manifests) ctx.stdout.write(`manifest ${m.path}\n`);
    for (const i of index.images) ctx.stdout.write(`image  ${i.ref}  ${i.digest}\n`);
    ctx.stdout.write(
      `bundle for Kubernetes ${index.kubernetesVersion} linux/${index.arch} in ${out}: ${index.files.length} files, ${index.manifests.length} manifests, ${index.images.length} images` +
        `${archive ? ` (also as ${archive})` : ''}\n`,
    );
  }
  return 0;
}
