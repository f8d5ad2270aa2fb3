import type { Fact } from '../engine/types.js';

export interface DiskUse {
  /** The file system holding the path (df's first column). */
  filesystem: string;
  /** Percent used (blocks, or inodes for inodeUse); null when the file system does not say ("-"). */
  usedPercent: number | null;
  mountedOn: string;
}

/**
 * Parses POSIX `df -P` / `df -Pi` output for one path: a header, then one line
 * `<filesystem> <total> <used> <available> <capacity>% <mounted on>` (the mount point may hold spaces).
 */
export function parseDf(stdout: string): DiskUse {
  const line = stdout.trim().split('\n').slice(1).pop();
  const f = line?.trim().split(/\s+/) ?? [];
  if (f.length < 6) throw new Error(`df: unexpected output: ${JSON.stringify(stdout.trim())}`);
  const pct = /^(\d+)%$/.exec(f[4]!)?.[1];
  return { filesystem: f[0]!, usedPercent: pct === undefined ? null : Number(pct), mountedOn: f.slice(5).join(' ') };
}

/** Block usage of the file system holding `path`. */
export function diskUse(path: string): Fact<DiskUse> {
  return { key: `df:${path}`, argv: ['df', '-P', '--', path], parse: (r) => parseDf(r.stdout) };
}

/** Inode usage of the file system holding `path`. */
export function inodeUse(path: string): Fact<DiskUse> {
  return { key: `df-i:${path}`, argv: ['df', '-Pi', '--', path], parse: (r) => parseDf(r.stdout) };
}
