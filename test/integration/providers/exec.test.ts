/** providers/qemu/exec.ts run(): the provider's one spawn wrapper, against real processes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandError, run } from '../../../scripts/providers/qemu/exec.js';
import { KubelabError } from '../../../scripts/util/errors.js';

test('argv without a shell; env is added to the inherited environment; stdin is passed', async () => {
  const r = await run('sh', ['-c', 'printf "%s|%s|%s" "$1" "$KUBELAB_TEST_X" "$(cat)"', 'sh', 'a b;$(x)'], { env: { KUBELAB_TEST_X: 'y' }, input: 'in' });
  assert.deepEqual([r.code, r.stdout, r.timedOut, r.stopped], [0, 'a b;$(x)|y|in', false, false]);
  const path = await run('sh', ['-c', 'printf %s "$PATH"'], { env: { KUBELAB_TEST_X: 'y' } });
  assert.equal(path.stdout, process.env.PATH);
});

test('stopWhen kills the child once the (merged) output says so', async () => {
  const r = await run('sh', ['-c', 'echo starting; echo ready >&2; exec sleep 300'], {
    allowFail: true,
    mergeStderr: true,
    stopWhen: (out) => out.includes('ready'),
  });
  assert.equal(r.stopped, true);
  assert.equal(r.signal, 'SIGKILL');
  assert.equal(r.stdout, 'starting\nready\n');
  assert.equal(r.stderr, '');
});

test('a failing command is a CommandError (a KubelabError with a hint); a missing one says so', async () => {
  await assert.rejects(run('sh', ['-c', 'echo boom >&2; exit 3']), (e: Error) => {
    assert.ok(e instanceof CommandError && e instanceof KubelabError);
    assert.match(e.message, /^sh -c .* exited with 3:\nboom$/);
    assert.ok(e.hint);
    return true;
  });
  await assert.rejects(run('kubelab-no-such-tool', []), (e: Error) => {
    assert.ok(e instanceof KubelabError);
    assert.equal(e.message, 'cannot run kubelab-no-such-tool: not found on PATH');
    assert.match(e.hint ?? '', /install kubelab-no-such-tool/);
    return true;
  });
  assert.equal((await run('sh', ['-c', 'exit 4'], { allowFail: true })).code, 4);
});
