/**
 * What kubelab takes from its environment and command line, read once at the entry (commands/settings.ts)
 * and passed down explicitly: no module below commands/ reads process.env for its configuration.
 * This module is the lowest layer: every folder may import it.
 */
export interface Settings {
  /** Never download: pinned manifests come from the cache or the seed folders only (--offline). */
  readonly offline: boolean;
  /** Where pinned upstream manifests are cached by sha256 (KUBELAB_MANIFEST_CACHE, default .kubelab/cache/manifests). */
  readonly manifestCacheDir: string;
  /** Pre-filled caches laid out like ../shared/upstream, read before downloading (KUBELAB_MANIFEST_SEED, ':'-separated). */
  readonly manifestSeedDirs: readonly string[];
  /** Where verified release files and image archives are cached (KUBELAB_ARTIFACT_CACHE, default .kubelab/cache/artifacts). */
  readonly artifactCacheDir: string;
  /** Where base VM images are cached, shared by every cluster (KUBELAB_IMAGE_CACHE, default .kubelab/images). */
  readonly imageCacheDir: string;
  /** Seconds the connection keeper holds a cluster's SSH connections after a run; 0: connect directly (KUBELAB_PERSIST). */
  readonly persistSeconds: number;
  /** Runs whose logs are kept per cluster, the current one included; older run folders are removed (KUBELAB_KEEP_LOGS). */
  readonly keepLogs: number;
  /** The only variables handed to the connection keeper daemon (PATH, HOME, LANG, when set). */
  readonly daemonEnv: Readonly<Record<string, string>>;
  /** The ssh-agent socket (SSH_AUTH_SOCK), used when the inventory allows the agent. */
  readonly sshAuthSock?: string;
  /** Where kubectl reads its config: the first path in KUBECONFIG, else ~/.kube/config. */
  readonly userKubeconfig: string;
  /** Record mode (KUBELAB_RECORD): the folder where plan/up/check write what they read, for test fixtures. */
  readonly recordDir?: string;
}
