import type { Fact } from '../engine/types.js';

/** Installed version of each package (absent when not installed). */
export function installedPackages(names: readonly string[]): Fact<Map<string, string>> {
  return {
    key: `dpkg:${names.join(',')}`,
    // exit 1 when some package is unknown to dpkg: still a valid answer
    argv: ['dpkg-query', '-W', '-f=${Package} ${db:Status-Abbrev} ${Version}\\n', ...names],
    okCodes: [0, 1],
    parse: (r) => parseDpkgQuery(r.stdout),
  };
}

export function parseDpkgQuery(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [name, status, version] = line.trim().split(/\s+/);
    // "ii" = wanted install, installed; anything else (rc, un, iF) is not a usable install
    if (name && status === 'ii' && version) out.set(name.replace(/:\w+$/, ''), version);
  }
  return out;
}

/** Packages on hold (apt-mark showhold). */
export const heldPackages: Fact<Set<string>> = {
  key: 'apt-holds',
  argv: ['apt-mark', 'showhold'],
  parse: (r) => new Set(r.stdout.split('\n').map((l) => l.trim()).filter(Boolean)),
};

/** Versions apt could install for a package, newest first (apt-cache madison). */
export function availableVersions(name: string): Fact<string[]> {
  return {
    key: `apt-versions:${name}`,
    argv: ['apt-cache', 'madison', name],
    parse: (r) =>
      r.stdout
        .split('\n')
        .map((l) => l.split('|').map((f) => f.trim()))
        .filter((f) => f[0] === name && f[1])
        .map((f) => f[1]!),
  };
}

/** The Debian architecture of the host (amd64, arm64...), as apt sources name it. */
export const debArchitecture: Fact<string> = {
  key: 'deb-arch',
  argv: ['dpkg', '--print-architecture'],
  parse: (r) => r.stdout.trim(),
};
