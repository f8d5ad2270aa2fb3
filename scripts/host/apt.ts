import { StepError, tail } from '../engine/errors.js';
import type { Change, HostContext } from '../engine/types.js';
import { allPackages, installedPackages } from '../facts/dpkg.js';

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

/** apt-get's words (Debian 12, apt 2.6; recorded on a VM whose dpkg was killed while unpacking containerd). */
const DPKG_INTERRUPTED = /dpkg was interrupted, you must manually run '[^']*dpkg --configure -a'/;
const UNMET = /Unmet dependencies\. Try '(?:apt|apt-get) (?:--fix-broken|-f) install'|You might want to run '(?:apt|apt-get) (?:--fix-broken|-f) install'/;

/**
 * Runs apt-get noninteractively; transient failures (locks, downloads) are retried with backoff. An install that an
 * earlier run left halfway is completed first, once each: when apt says dpkg was interrupted, `dpkg --configure -a`
 * and a reinstall of every package dpkg still holds halfway (a half-unpacked package stays so after --configure -a,
 * and apt-get install then does nothing for it); when apt says dependencies are unmet, `--fix-broken install`.
 */
export async function aptGet(host: HostContext, args: readonly string[]): Promise<void> {
  const argv = [...ENV, 'apt-get', '-y', '-q', ...APT_OPTS, ...args];
  let configured = false;
  let fixed = false;
  for (let attempt = 1; ; attempt++) {
    const r = await host.transport.exec(argv);
    if (r.code === 0) return;
    const out = `${r.stderr}\n${r.stdout}`;
    if (!configured && DPKG_INTERRUPTED.test(out)) {
      configured = true;
      const reinstalled = await completeInterrupted(host, args);
      // a reinstall of packages that the recovery has just reinstalled, as asked (versions, held flag): done
      const asked = reinstallOf(args);
      if (asked && [...asked.keys()].every((n) => reinstalled.has(n))) return;
      continue;
    }
    if (!fixed && UNMET.test(out)) {
      fixed = true;
      await recovery(host, 'apt-get --fix-broken install', [...ENV, 'apt-get', '-y', '-q', ...APT_OPTS, '--fix-broken', 'install']);
      continue;
    }
    if (attempt >= 4 || !TRANSIENT.test(out)) {
      throw new StepError(`apt-get ${args.filter((a) => !a.startsWith('-')).join(' ')} exited ${r.code}: ${tail(r.stderr || r.stdout)}`);
    }
    await new Promise((res) => setTimeout(res, 2000 * attempt));
  }
}

async function recovery(host: HostContext, what: string, argv: readonly string[]): Promise<void> {
  const r = await host.transport.exec(argv);
  if (r.code !== 0) throw new StepError(`${what} (an earlier install did not finish) exited ${r.code}: ${tail(r.stderr || r.stdout)}`);
}

/** The packages of an `install --reinstall` (name -> spec as given, name=version when pinned); undefined for other commands. */
function reinstallOf(args: readonly string[]): Map<string, string> | undefined {
  if (args[0] !== 'install' || !args.includes('--reinstall')) return undefined;
  return new Map(args.slice(1).filter((a) => !a.startsWith('-')).map((spec) => [spec.split('=')[0]!, spec]));
}

/**
 * `dpkg --configure -a`, then a reinstall of whatever dpkg still holds halfway, with the specs and flags of
 * `asked` (the apt-get command that met the interrupted dpkg) for the packages it names. Returns the names reinstalled.
 */
async function completeInterrupted(host: HostContext, asked: readonly string[]): Promise<ReadonlySet<string>> {
  await recovery(host, 'dpkg --configure -a', [...ENV, 'dpkg', '--force-confdef', '--force-confold', '--configure', '-a']);
  const left = await host.transport.exec(allPackages.argv);
  if (left.code !== 0) throw new StepError(`dpkg-query -W exited ${left.code}: ${tail(left.stderr || left.stdout)}`);
  const names = [...allPackages.parse(left).unfinished.keys()];
  if (!names.length) return new Set();
  const specs = reinstallOf(['install', '--reinstall', ...asked.filter((a) => a !== 'install' && a !== '--reinstall')])!;
  const flags = ['--no-install-recommends', '--allow-change-held-packages'].filter((f) => asked.includes(f));
  const argv = names.map((n) => specs.get(n) ?? n);
  await recovery(host, `apt-get install --reinstall ${argv.join(' ')}`, [...ENV, 'apt-get', '-y', '-q', ...APT_OPTS, 'install', '--reinstall', ...flags, ...argv]);
  return new Set(names);
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
 * (installed as name=version); a pinned package installed at another version counts as missing. A package that an
 * install left halfway is reinstalled (apt-get install alone leaves a half-installed package as it is).
 */
export async function packageChanges(
  host: HostContext,
  names: readonly string[],
  pins: ReadonlyMap<string, string> = new Map(),
): Promise<Change[]> {
  const states = await host.facts.get(installedPackages(names));
  const spec = (n: string): string => (pins.has(n) ? `${n}=${pins.get(n)}` : n);
  const held = pins.size ? ['--allow-change-held-packages'] : [];
  const unfinished = names.filter((n) => states.unfinished.has(n));
  const missing = names.filter((n) => {
    if (states.unfinished.has(n)) return false;
    const have = states.installed.get(n);
    return have === undefined || (pins.has(n) && pins.get(n) !== have);
  });
  const changes: Change[] = [];
  if (unfinished.length) {
    const specs = unfinished.map(spec);
    changes.push({
      description: `apt-get install --reinstall ${specs.join(' ')} (left halfway: ${unfinished.map((n) => `${n} ${states.unfinished.get(n)!}`).join(', ')})`,
      apply: async (h) => {
        await aptUpdate(h);
        await aptGet(h, ['install', '--reinstall', '--no-install-recommends', ...held, ...specs]);
      },
    });
  }
  if (missing.length) {
    const specs = missing.map(spec);
    changes.push({
      description: `apt-get install ${specs.join(' ')}`,
      apply: async (h) => {
        await aptUpdate(h);
        try {
          await aptGet(h, ['install', '--no-install-recommends', ...held, ...specs]);
        } catch (err) {
          // stale lists (a package moved to a new version on the mirror): refresh once and try again
          if (h.runState.get(LISTS_FRESH)) throw err;
          await aptUpdate(h, true);
          await aptGet(h, ['install', '--no-install-recommends', ...held, ...specs]);
        }
      },
    });
  }
  return changes;
}
