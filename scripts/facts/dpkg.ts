import type { Fact } from '../engine/types.js';

/** What dpkg says of some packages: the installed ones with their version, and those an install left halfway. */
export interface PackageStates {
  /** "ii" or "hi" (held): installed; name -> version. */
  installed: Map<string, string>;
  /**
   * Left halfway by an install that did not finish (dpkg killed, the VM powered off): half-installed (H), unpacked
   * (U), half-configured (F), awaiting or pending triggers (W, t), or reinstall required (R); name -> status.
   */
  unfinished: Map<string, string>;
}

const FORMAT = '-f=${Package} ${db:Status-Abbrev} ${Version}\\n';

/** The state of each package (absent from both maps when not installed). */
export function installedPackages(names: readonly string[]): Fact<PackageStates> {
  return {
    key: `dpkg:${names.join(',')}`,
    // exit 1 when some package is unknown to dpkg: still a valid answer
    argv: ['dpkg-query', '-W', FORMAT, ...names],
    okCodes: [0, 1],
    parse: (r) => parseDpkgQuery(r.stdout),
  };
}

/** Every package dpkg knows, in the same shape (to find what an interrupted install left, whatever it was). */
export const allPackages: Fact<PackageStates> = {
  key: 'dpkg:*',
  argv: ['dpkg-query', '-W', FORMAT],
  parse: (r) => parseDpkgQuery(r.stdout),
};

export function parseDpkgQuery(text: string): PackageStates {
  const out: PackageStates = { installed: new Map(), unfinished: new Map() };
  for (const line of text.split('\n')) {
    const [raw, status, version] = line.trim().split(/\s+/);
    if (!raw || !status) continue;
    const name = raw.replace(/:\w+$/, '');
    // "ii" = wanted install, installed; "hi" = on hold, installed (kubelab holds kubeadm, kubelet and kubectl);
    // "rc", "un" and the like are not installed
    if (/^[ih]i/.test(status) && status[2] !== 'R' && version) out.installed.set(name, version);
    else if (/^.[HUFWt]|^..R/.test(status)) out.unfinished.set(name, status);
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
