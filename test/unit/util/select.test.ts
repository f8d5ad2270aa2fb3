import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PHASES } from '../../../scripts/phases/index.js';
import { UsageError } from '../../../scripts/util/errors.js';
import { selectByName } from '../../../scripts/util/select.js';

describe('selectByName (--only for phases and checks)', () => {
  it('a group name selects every member, in run order', () => {
    assert.deepEqual(selectByName(PHASES, ['check', 'nfs'], 'phase').map((p) => p.name), ['nfs', 'nfs-check', 'check']);
  });
  it('no names: everything', () => {
    assert.equal(selectByName(PHASES, [], 'phase').length, PHASES.length);
  });
  it('unknown names are a usage error listing the valid ones once each', () => {
    assert.throws(
      () => selectByName([{ name: 'a' }, { name: 'b', group: 'a' }, { name: 'c' }], ['x', 'c'], 'thing'),
      (err: Error) => err instanceof UsageError && err.message === '--only: unknown thing x (things: a, b, c)',
    );
  });
});
