import type { Fact } from '../engine/types.js';

export interface NfsExport {
  path: string;
  client: string;
  options: string[];
}

/**
 * Parses `exportfs -v` (nfs-utils): one export per client, `<path>\t<client>(<options>)`; a path longer than
 * 14 characters is followed by a newline and two tabs before the client, e.g.
 * `/srv/nfs/k8s  \t192.168.56.0/24(sync,wdelay,hide,no_subtree_check,sec=sys,rw,secure,no_root_squash,no_all_squash)`.
 */
export function parseExportfs(stdout: string): NfsExport[] {
  const out: NfsExport[] = [];
  let path: string | undefined;
  for (const token of stdout.split(/\s+/).filter(Boolean)) {
    const client = /^(.*?)\((.*)\)$/.exec(token);
    if (client && path !== undefined) {
      out.push({ path, client: client[1] || '*', options: client[2]!.split(',').filter(Boolean) });
    } else if (token.startsWith('/')) {
      path = token.replace(/\\040/g, ' ');
    }
  }
  return out;
}

/** What the NFS server exports now (the kernel's table, not /etc/exports). Read-only. */
export const nfsExports: Fact<NfsExport[]> = {
  key: 'exportfs',
  argv: ['exportfs', '-v'],
  parse: (r) => parseExportfs(r.stdout),
};
