import { StepError, tail } from '../engine/errors.js';
import type { Change, HostContext } from '../engine/types.js';
import { installedPackages } from '../facts/dpkg.js';

const SOURCES_CHANGED = 'apt:sources-changed';
const LISTS_FRESH = 'apt:lists-fresh';

/** apt-get options for unattended runs on fresh VMs: wait for unattended-upgrades' locks, retry downloads. */
const APT_OPTS = ['-o', 'DPkg::Lock::Timeout=600', '-o', 'Acquire::Retries=5', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];

/** Call after writing an apt source or key: the next install refreshes the package lists first. */
export function markSourcesChanged(host: HostContext): void {
  host.runState.set(SOURCES_CHANGED, true);
  host.runState.delete(LISTS_FRESH);
}

const TRANSIENT = /Could not get lock|Unable to acquire the dpkg frontend lock|Temporary failure resolving|Failed to fetch|Connection timed out|Hash Sum mismatch|Could not connect/i;

const ENV = ['env', 'DEBIAN_FRONTEND=noninteractive', 'NEEDRESTART_MODE=a'];

/**
 * What an install that an earlier run left halfway (an interrupted `up`, a VM powered off during an install) makes
 * apt-get say, and what completes it: dpkg stopped with packages unpacked but not configured, or packages installed
 * without their dependencies. Each is run at most once per call.
 */
const RECOVERIES: readonly { said: RegExp; what: string; argv: readonly string[] }[] = [
  {
    said: /dpkg was interrupted, you must manually run '[^']*dpkg --configure -a'/,
    what: 'dpkg --configure -a',
    argv: [...ENV, 'dpkg', '--force-confdef', '--force-confold', '--configure', '-a'],
  },
  {
    said: /Unmet dependencies\. Try '(?:apt|apt-get) (?:--fix-broken|-f) install'|You might want to run '(?:apt|apt-get) (?:--fix-broken|-f) install'/,
    what: 'apt-get --fix-broken install',
    argv: [...ENV, 'apt-get', '-y', '-q', ...APT_OPTS, '--fix-broken', 'install'],
  },
];

/**
 * Runs apt-get noninteractively; transient failures (locks, downloads) are retried with backoff, and an install that
 * an earlier run left halfway is completed first (RECOVERIES).
 */
export async function aptGet(host: HostContext, args: readonly string[]): Promise<void> {
  const argv = [...ENV, 'apt-get', '-y', '-q', ...APT_OPTS, ...args];
  const recovered = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    const r = await host.transport.exec(argv);
    if (r.code === 0) return;
    const out = `${r.stderr}\n${r.stdout}`;
    const recovery = RECOVERIES.find((x) => !recovered.has(x.what) && x.said.test(out));
    if (recovery) {
      recovered.add(recovery.what);
      const c = await host.transport.exec(recovery.argv);
      if (c.code !== 0) throw new StepError(`${recovery.what} (an earlier install did not finish) exited ${c.code}: ${tail(c.stderr || c.stdout)}`);
      continue;
    }
    if (attempt >= 4 || !TRANSIENT.test(out)) {
      throw new StepError(`apt-get ${args.filter((a) => !a.startsWith('-')).join(' ')} exited ${r.code}: ${tail(r.stderr || r.stdout)}`);
    }
    await new Promise((res) => setTimeout(res, 2000 * attempt));
  }
}

/** `apt-get update`, at most once per host per run, and only when sources changed or lists were never fetched. */
export async function aptUpdate(host: HostContext, force = false): Promise<void> {
  if (host.runState.get(LISTS_FRESH)) return;
  if (!force && !host.runState.get(SOURCES_CHANGED)) {
    const lists = await host.transport.exec(['sh', '-c', 'ls /var/lib/apt/lists/ | grep -q _Packages']);
    if (lists.code === 0) return;
  }
  await aptGet(host, ['update']);
  host.runState.set(LISTS_FRESH, true);
  host.runState.delete(SOURCES_CHANGED);
}

/**
 * Changes that install the packages missing on the host. `pins` maps a package to an exact version
 * (installed as name=version); a pinned package installed at another version counts as missing.
 */
export async function packageChanges(
  host: HostContext,
  names: readonly string[],
  pins: ReadonlyMap<string, string> = new Map(),
): Promise<Change[]> {
  const installed = await host.facts.get(installedPackages(names));
  const missing = names.filter((n) => {
    const have = installed.get(n);
    return have === undefined || (pins.has(n) && pins.get(n) !== have);
  });
  if (!missing.length) return [];
  const specs = missing.map((n) => (pins.has(n) ? `${n}=${pins.get(n)}` : n));
  return [
    {
      description: `apt-get install ${specs.join(' ')}`,
      apply: async (h) => {
        await aptUpdate(h);
        try {
          await aptGet(h, ['install', '--no-install-recommends', ...(pins.size ? ['--allow-change-held-packages'] : []), ...specs]);
        } catch (err) {
          // stale lists (a package moved to a new version on the mirror): refresh once and try again
          if (h.runState.get(LISTS_FRESH)) throw err;
          await aptUpdate(h, true);
          await aptGet(h, ['install', '--no-install-recommends', ...(pins.size ? ['--allow-change-held-packages'] : []), ...specs]);
        }
      },
    },
  ];
}
