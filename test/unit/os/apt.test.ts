import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostContext } from '../../../scripts/engine/types.js';
import { aptGet } from '../../../scripts/host/apt.js';
import type { ExecResult } from '../../../scripts/transport/types.js';

/** A host whose commands answer from a script, in order; each command line is kept. */
function scripted(answers: Partial<ExecResult>[]): { host: HostContext; commands: string[] } {
  const commands: string[] = [];
  const transport = {
    exec: async (argv: readonly string[]): Promise<ExecResult> => {
      commands.push(argv.join(' '));
      const a = answers.shift();
      assert.ok(a, `unexpected command: ${argv.join(' ')}`);
      return { stdout: '', stderr: '', code: 0, durationMs: 1, ...a };
    },
  };
  // aptGet uses the transport only
  return { host: { transport, runState: new Map() } as unknown as HostContext, commands };
}

// apt-get's words on Debian 12 (apt 2.6) when dpkg was stopped halfway, and when dependencies were left unmet
const INTERRUPTED = "E: dpkg was interrupted, you must manually run 'dpkg --configure -a' to correct the problem. \n";
const UNMET =
  "You might want to run 'apt --fix-broken install' to correct these.\nThe following packages have unmet dependencies:\n containerd : Depends: runc (>= 1.0.0~rc2~) but it is not going to be installed\nE: Unmet dependencies. Try 'apt --fix-broken install' with no packages (or specify a solution).\n";

describe('aptGet after an install that did not finish', () => {
  it("runs dpkg --configure -a once when apt says dpkg was interrupted, then the install again", async () => {
    const { host, commands } = scripted([{ code: 100, stderr: INTERRUPTED }, { code: 0 }, { code: 0 }]);
    await aptGet(host, ['install', 'containerd']);
    assert.equal(commands.length, 3);
    assert.match(commands[0]!, /apt-get .* install containerd$/);
    assert.match(commands[1]!, /^env DEBIAN_FRONTEND=noninteractive .*dpkg --force-confdef --force-confold --configure -a$/);
    assert.equal(commands[2], commands[0]);
  });

  it('completes unmet dependencies with --fix-broken install, after dpkg --configure -a when both are needed', async () => {
    const { host, commands } = scripted([{ code: 100, stderr: INTERRUPTED }, { code: 0 }, { code: 100, stdout: UNMET }, { code: 0 }, { code: 0 }]);
    await aptGet(host, ['install', 'containerd']);
    assert.deepEqual(
      commands.map((c) => (c.includes('--configure -a') ? 'configure' : c.endsWith('--fix-broken install') ? 'fix-broken' : 'install')),
      ['install', 'configure', 'install', 'fix-broken', 'install'],
    );
  });

  it('does not loop: the same complaint after its recovery fails the step with apt-get\'s words', async () => {
    const { host, commands } = scripted([{ code: 100, stderr: INTERRUPTED }, { code: 0 }, { code: 100, stderr: INTERRUPTED }]);
    await assert.rejects(aptGet(host, ['install', 'containerd']), /apt-get install containerd exited 100: .*dpkg was interrupted/s);
    assert.equal(commands.length, 3);
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
