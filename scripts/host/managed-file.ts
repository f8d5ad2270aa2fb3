import type { Change, HostContext } from '../engine/types.js';
import { fileContent } from '../facts/file.js';

/** Changes needed so that `path` holds exactly `content` (uploaded whole, installed atomically). */
export async function fileChanges(
  host: HostContext,
  path: string,
  content: string,
  mode = 0o644,
): Promise<Change[]> {
  const current = await host.facts.get(fileContent(path));
  if (current === content) return [];
  return [
    {
      description: current === null ? `create ${path}` : `rewrite ${path}`,
      apply: (h) => h.transport.put(content, path, { mode }),
    },
  ];
}

/** The header kubelab puts in files it owns entirely. */
export const MANAGED_HEADER = '# Managed by kubelab: changes here are overwritten on the next `kubelab up`.\n';
