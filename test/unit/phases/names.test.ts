import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PHASES } from '../../../scripts/phases/index.js';
import { PHASE_NAMES } from '../../../scripts/phases/names.js';

it('PHASE_NAMES (for --help) are the names of PHASES, in run order', () => {
  assert.deepEqual(PHASE_NAMES, PHASES.map((p) => p.name));
});
