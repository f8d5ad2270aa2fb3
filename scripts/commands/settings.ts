import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { DEFAULT_KEEP_LOGS } from '../engine/host-log.js';
import { DEFAULT_PERSIST_SECONDS } from '../transport/mux-protocol.js';
import { UsageError } from '../util/errors.js';
import type { Settings } from '../util/settings.js';

/**
 * The run's settings from the environment (README "Environment"): the one place that reads KUBELAB_* and the
 * other variables kubelab depends on. Command-line options (--offline) are laid over it by each command.
 * A KUBELAB_PERSIST that is not a number of seconds is a UsageError (exit 2).
 */
export function readSettings(env: NodeJS.ProcessEnv): Settings {
  const persist = persistSeconds(env.KUBELAB_PERSIST);
  if (persist === undefined) {
    throw new UsageError(`KUBELAB_PERSIST=${env.KUBELAB_PERSIST ?? ''}: expected seconds to keep connections (0 disables)`);
  }
  const keepLogs = wholeNumber(env.KUBELAB_KEEP_LOGS, DEFAULT_KEEP_LOGS);
  if (keepLogs === undefined || keepLogs < 1) {
    throw new UsageError(`KUBELAB_KEEP_LOGS=${env.KUBELAB_KEEP_LOGS ?? ''}: expected how many runs' logs to keep per cluster (a whole number, at least 1)`);
  }
  const daemonEnv: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'LANG'] as const) if (env[k] !== undefined) daemonEnv[k] = env[k];
  return {
    offline: false,
    manifestCacheDir: resolve(env.KUBELAB_MANIFEST_CACHE ?? join('.kubelab', 'cache', 'manifests')),
    manifestSeedDirs: (env.KUBELAB_MANIFEST_SEED ?? '')
      .split(delimiter)
      .filter(Boolean)
      .map((d) => resolve(d)),
    artifactCacheDir: resolve(env.KUBELAB_ARTIFACT_CACHE ?? join('.kubelab', 'cache', 'artifacts')),
    imageCacheDir: resolve(env.KUBELAB_IMAGE_CACHE ?? join('.kubelab', 'images')),
    persistSeconds: persist,
    keepLogs,
    daemonEnv,
    ...(env.SSH_AUTH_SOCK !== undefined ? { sshAuthSock: env.SSH_AUTH_SOCK } : {}),
    userKubeconfig: userKubeconfigPath(env),
    ...(env.KUBELAB_RECORD ? { recordDir: resolve(env.KUBELAB_RECORD) } : {}),
  };
}

/**
 * KUBELAB_PERSIST: unset or empty -> 60 (seconds the daemon stays after the last run); 0 -> no daemon, direct
 * connections; a positive number -> that many seconds. undefined when the value is not a number >= 0.
 */
function persistSeconds(value: string | undefined): number | undefined {
  const raw = value?.trim();
  if (raw === undefined || raw === '') return DEFAULT_PERSIST_SECONDS;
  if (!/^\d+(\.\d+)?$/.test(raw)) return undefined;
  return Number(raw);
}

/** A whole number from the environment: unset or empty -> fallback; undefined when it is not digits. */
function wholeNumber(value: string | undefined, fallback: number): number | undefined {
  const raw = value?.trim();
  if (raw === undefined || raw === '') return fallback;
  return /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/** Where `kubectl` reads its config: the first path in KUBECONFIG, else ~/.kube/config. */
function userKubeconfigPath(env: NodeJS.ProcessEnv): string {
  const first = (env.KUBECONFIG ?? '').split(delimiter).find((p) => p !== '');
  if (first) return resolve(first);
  return join(env.HOME || homedir(), '.kube', 'config');
}
