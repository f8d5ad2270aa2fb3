import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Fact, HostContext } from '../../../scripts/engine/types.js';
import { installedPackages, parseDpkgQuery } from '../../../scripts/facts/dpkg.js';
import { aptGet, packageChanges } from '../../../scripts/host/apt.js';
import type { ExecResult } from '../../../scripts/transport/types.js';

/** A host whose commands answer from a script, in order (each command line is kept), and whose facts parse `facts`. */
function scripted(answers: Partial<ExecResult>[], facts: Record<string, string> = {}): { host: HostContext; commands: string[] } {
  const commands: string[] = [];
  const transport = {
    exec: async (argv: readonly string[]): Promise<ExecResult> => {
      commands.push(argv.join(' '));
      const a = answers.shift();
      assert.ok(a, `unexpected command: ${argv.join(' ')}`);
      return { stdout: '', stderr: '', code: 0, durationMs: 1, ...a };
    },
  };
  const factsOf = {
    get: async <T>(f: Fact<T>): Promise<T> => {
      assert.ok(f.key in facts, `unexpected fact: ${f.key}`);
      return f.parse({ stdout: facts[f.key]!, stderr: '', code: 0, durationMs: 1 });
    },
  };
  // the apt helpers use the transport, the facts and the run state only
  return { host: { transport, facts: factsOf, runState: new Map() } as unknown as HostContext, commands };
}

// Recorded on a Debian 12 VM (apt 2.6.2, dpkg 1.21.23) whose dpkg was killed (SIGKILL) while unpacking containerd during
// `apt-get install --reinstall docker.io containerd`; then `apt-get -y -q install --no-install-recommends containerd`
// (exit 100, stderr):
const INTERRUPTED = "E: dpkg was interrupted, you must manually run 'dpkg --configure -a' to correct the problem.\n";
// the fact's command on that VM then (`dpkg-query -W '-f=${Package} ${db:Status-Abbrev} ${Version}\n' containerd
// docker.io`): containerd half-installed, reinstall required; `dpkg --configure -a` leaves it so, and `apt-get install
// containerd` then exits 0 and leaves it so too
const HALF = 'containerd iHR 1.6.20~ds1-1+deb12u3\ndocker.io ii  20.10.24+dfsg1-1+deb12u1+b6\n';
// the same VM after `dpkg --remove --force-depends runc`, the same install (exit 100; stdout, then stderr)
const UNMET_OUT =
  "Reading package lists...\nBuilding dependency tree...\nReading state information...\ncontainerd is already the newest version (1.6.20~ds1-1+deb12u3).\nYou might want to run 'apt --fix-broken install' to correct these.\nThe following packages have unmet dependencies:\n containerd : Depends: runc (>= 0.1.0~) but it is not going to be installed\n docker.io : Depends: runc (>= 1.0.0~rc8~) but it is not going to be installed\n";
const UNMET = "E: Unmet dependencies. Try 'apt --fix-broken install' with no packages (or specify a solution).\n";

const kind = (c: string): string =>
  c.includes('--configure -a') ? 'configure' : c.startsWith('dpkg-query') ? 'query' : c.includes('--reinstall') ? 'reinstall' : c.endsWith('--fix-broken install') ? 'fix-broken' : 'install';

describe('parseDpkgQuery', () => {
  it('installed (ii) with versions; half-installed, unpacked, half-configured and reinstall-required apart; removed ones nowhere', () => {
    // "hi": on hold and installed, as dpkg says of the Debian image's kernel (and of the kube packages kubelab holds)
    const s = parseDpkgQuery(`${HALF}runc iU  1.1.5+ds1-1+deb12u1\nnfs-common iF  1:2.6.2-4\nlibc6:amd64 ii  2.36-9\nold rc  1.0\nkubeadm hi  1.35.4-1.1\n`);
    assert.deepEqual([...s.installed], [['docker.io', '20.10.24+dfsg1-1+deb12u1+b6'], ['libc6', '2.36-9'], ['kubeadm', '1.35.4-1.1']]);
    assert.deepEqual([...s.unfinished], [['containerd', 'iHR'], ['runc', 'iU'], ['nfs-common', 'iF']]);
  });
});

describe('aptGet after an install that did not finish', () => {
  it('dpkg was interrupted: dpkg --configure -a, a reinstall of what dpkg still holds halfway, then the install again', async () => {
    const { host, commands } = scripted([{ code: 100, stderr: INTERRUPTED }, {}, { stdout: HALF }, {}, {}]);
    await aptGet(host, ['install', 'containerd']);
    assert.deepEqual(commands.map(kind), ['install', 'configure', 'query', 'reinstall', 'install']);
    assert.match(commands[1]!, /^env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a dpkg --force-confdef --force-confold --configure -a$/);
    assert.match(commands[3]!, /apt-get -y -q .* install --reinstall containerd$/);
    assert.equal(commands[4], commands[0]);
  });

  it('a reinstall that meets the interrupted dpkg is done by the recovery: one reinstall, with its pinned version and flags', async () => {
    const { host, commands } = scripted([{ code: 100, stderr: INTERRUPTED }, {}, { stdout: `${HALF}runc iU  1.1.5+ds1-1+deb12u1\n` }, {}]);
    await aptGet(host, ['install', '--reinstall', '--no-install-recommends', '--allow-change-held-packages', 'containerd=1.6.20~ds1-1+deb12u3']);
    assert.deepEqual(commands.map(kind), ['reinstall', 'configure', 'query', 'reinstall']);
    assert.match(commands[3]!, / install --reinstall --no-install-recommends --allow-change-held-packages containerd=1\.6\.20~ds1-1\+deb12u3 runc$/);
  });

  it('a reinstall naming a package the recovery did not reinstall runs again after it', async () => {
    const { host, commands } = scripted([{ code: 100, stderr: INTERRUPTED }, {}, { stdout: HALF }, {}, {}]);
    await aptGet(host, ['install', '--reinstall', 'containerd', 'docker.io']);
    assert.deepEqual(commands.map(kind), ['reinstall', 'configure', 'query', 'reinstall', 'reinstall']);
    assert.match(commands[3]!, / install --reinstall containerd$/);
    assert.equal(commands[4], commands[0]);
  });

  it('nothing left halfway after --configure -a: no reinstall', async () => {
    const { host, commands } = scripted([{ code: 100, stderr: INTERRUPTED }, {}, { stdout: 'containerd ii  1.6.20~ds1-1+deb12u3\n' }, {}]);
    await aptGet(host, ['install', 'containerd']);
    assert.deepEqual(commands.map(kind), ['install', 'configure', 'query', 'install']);
  });

  it('unmet dependencies: --fix-broken install once, then the install again', async () => {
    const { host, commands } = scripted([{ code: 100, stdout: UNMET_OUT, stderr: UNMET }, {}, {}]);
    await aptGet(host, ['install', 'containerd']);
    assert.deepEqual(commands.map(kind), ['install', 'fix-broken', 'install']);
  });

  it('does not loop: the same complaint after its recovery fails the step with apt-get\'s words', async () => {
    const { host, commands } = scripted([{ code: 100, stderr: INTERRUPTED }, {}, { stdout: '' }, { code: 100, stderr: INTERRUPTED }]);
    await assert.rejects(aptGet(host, ['install', 'containerd']), /apt-get install containerd exited 100: .*dpkg was interrupted/s);
    assert.equal(commands.length, 4);
  });

  it('a recovery that fails names itself and why', async () => {
    const { host } = scripted([{ code: 100, stderr: INTERRUPTED }, { code: 1, stderr: 'dpkg: error processing package containerd (--configure)' }]);
    await assert.rejects(aptGet(host, ['install', 'containerd']), /dpkg --configure -a \(an earlier install did not finish\) exited 1: dpkg: error processing package containerd/);
  });

  it('other failures are not taken for an unfinished install', async () => {
    const { host, commands } = scripted([{ code: 100, stderr: 'E: Unable to locate package nosuch\n' }]);
    await assert.rejects(aptGet(host, ['install', 'nosuch']), /apt-get install nosuch exited 100: E: Unable to locate package nosuch/);
    assert.equal(commands.length, 1);
  });
});

describe('packageChanges', () => {
  const key = installedPackages(['containerd', 'docker.io', 'runc']).key;

  it('a package left halfway is reinstalled (apt-get install alone would leave it so), missing ones installed', async () => {
    const { host, commands } = scripted([{}, {}], { [key]: HALF });
    host.runState.set('apt:lists-fresh', true);
    const changes = await packageChanges(host, ['containerd', 'docker.io', 'runc']);
    assert.deepEqual(
      changes.map((c) => c.description),
      ['apt-get install --reinstall containerd (left halfway: containerd iHR)', 'apt-get install runc'],
    );
    for (const c of changes) await c.apply(host);
    assert.deepEqual(commands.map(kind), ['reinstall', 'install']);
    assert.match(commands[0]!, / install --reinstall --no-install-recommends containerd$/);
  });

  it('everything installed: no change', async () => {
    const { host } = scripted([], { [key]: `${HALF.replace('iHR', 'ii ')}runc ii  1.1.5\n` });
    assert.deepEqual(await packageChanges(host, ['containerd', 'docker.io', 'runc']), []);
  });
});
