import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { printable } from '../../../scripts/util/terminal-text.js';
import { abortReason, raceAbort } from '../../../scripts/util/abort.js';

describe('printable (remote text shown on a terminal)', () => {
  it('escapes escape sequences, CR, BEL, backspace, DEL and C1 controls; keeps newline, tab and other text', () => {
    const remote = '\u001b]0;pwned\u0007\u001b[31mred\u001b[0m\r\nok\tdone\bx\u007f\u009b2J é ✓\n';
    assert.equal(printable(remote), '\\x1b]0;pwned\\x07\\x1b[31mred\\x1b[0m\\x0d\nok\tdone\\x08x\\x7f\\x9b2J é ✓\n');
  });
  it('text without control characters is unchanged', () => {
    const text = 'master os/swap FAILED: swapoff -a exited 1: no\n  hint: see the log';
    assert.equal(printable(text), text);
  });
});

describe('raceAbort (waits an interrupt gives up)', () => {
  it('settles like the work when nothing aborts', async () => {
    const ac = new AbortController();
    assert.equal(await raceAbort(Promise.resolve(7), ac.signal, () => new Error('x')), 7);
    await assert.rejects(raceAbort(Promise.reject(new Error('boom')), ac.signal, () => new Error('x')), /boom/);
  });
  it('rejects with the abort error as soon as the signal aborts, or at once when it already has', async () => {
    const ac = new AbortController();
    const never = new Promise<number>(() => undefined);
    const raced = raceAbort(never, ac.signal, () => new Error(`stopped by ${abortReason(ac.signal)}`));
    ac.abort('SIGINT');
    await assert.rejects(raced, /stopped by SIGINT/);
    await assert.rejects(raceAbort(never, ac.signal, () => new Error('again')), /again/);
  });
});
