import type { ClusterContext } from '../engine/types.js';
import { loadLock, lockedFiles } from './lock.js';
import { fetchManifestObjects } from './store.js';
import type { K8sObject } from './yaml.js';

/** The pinned upstream objects of a lock set, fetched (cache, seed or download) and parsed. */
export async function pinnedObjects(cluster: Pick<ClusterContext, 'settings'>, set: string): Promise<K8sObject[]> {
  const lock = await loadLock();
  const { settings } = cluster;
  const docs = await Promise.all(
    lockedFiles(lock, set).map((entry) =>
      fetchManifestObjects(entry, {
        cacheDir: settings.manifestCacheDir,
        offline: settings.offline,
        seedDirs: settings.manifestSeedDirs,
        ...(settings.onDownload ? { onDownload: settings.onDownload } : {}),
      }),
    ),
  );
  return docs.flat();
}
