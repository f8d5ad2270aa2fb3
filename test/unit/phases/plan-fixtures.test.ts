import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { PHASES } from '../../../scripts/phases/index.js';
import { readFixtures, runPlanFixture } from '../../support/plan-fixture.js';
import { NO_SEED, testSeedDir } from '../../support/seed.js';

/**
 * Every fixture folder test/fixtures/plan/<phase>/ against the phase of that name in PHASES (the format and the
 * checks: test/support/plan-fixture.ts).
 */
const root = fileURLToPath(new URL('../../../../test/fixtures/plan/', import.meta.url));

for (const phaseName of readdirSync(root)) {
  const phase = PHASES.find((p) => p.name === phaseName);
  describe(`${phaseName} phase planned from recorded facts`, () => {
    it('names a real phase', () => assert.ok(phase, `no phase ${phaseName}`));
    for (const { file, fx } of readFixtures(root + phaseName)) {
      // a fixture with a recorded API renders the pinned manifests from the seed dir
      it(`${file}: ${fx.description}`, { skip: fx.api && !testSeedDir() ? NO_SEED : undefined }, async () => {
        await runPlanFixture(phase!, fx, root + phaseName, undefined, `${root}${phaseName}/${file}`);
      });
    }
  });
}
