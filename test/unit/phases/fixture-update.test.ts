/**
 * Update mode (KUBELAB_UPDATE_FIXTURES=1) writes a plan fixture's expectations only when they changed: a fixture
 * that already expects what the code plans keeps its bytes (flow style, comments), so the diff shows only the
 * fixtures whose plan moved.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { writeExpectations } from '../../support/plan-fixture.js';

const FIXTURE = [
  '# hand-written, flow style',
  'description: a node',
  'node: master',
  'facts: { hostname: { argv: [hostname], stdout: "master\\n" } }',
  'steps: { hostname: [], swap: ["turn swap off"] }',
  'commands: ["swapoff -a"]',
  '',
].join('\n');

describe('plan fixtures: update mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubelab-fixture-update-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves a fixture whose expectations are unchanged byte for byte', () => {
    const file = join(dir, 'same.yaml');
    writeFileSync(file, FIXTURE);
    // the steps in another order than the file's (the order in which the code plans them) are the same expectations
    assert.equal(writeExpectations(file, { swap: ['turn swap off'], hostname: [] }, ['swapoff -a'], {}), false);
    assert.equal(readFileSync(file, 'utf8'), FIXTURE);
  });

  it('gives commands to a fixture fresh from a recording, not to one that lists none', () => {
    const fresh = join(dir, 'fresh.yaml');
    writeFileSync(fresh, 'description: recorded\nnode: master\nfacts: {}\n');
    assert.equal(writeExpectations(fresh, { swap: ['turn swap off'] }, ['swapoff -a'], {}), true);
    assert.deepEqual(parse(readFileSync(fresh, 'utf8')), { description: 'recorded', node: 'master', facts: {}, steps: { swap: ['turn swap off'] }, commands: ['swapoff -a'] });
    const filesOnly = join(dir, 'files-only.yaml');
    const text = FIXTURE.replace('commands: ["swapoff -a"]\n', 'files: { /etc/fstab: "" }\n');
    writeFileSync(filesOnly, text);
    assert.equal(writeExpectations(filesOnly, { hostname: [], swap: ['turn swap off'] }, ['swapoff -a', 'put /etc/fstab 644'], {}), false);
    assert.equal(readFileSync(filesOnly, 'utf8'), text);
  });

  it('rewrites the expectations that changed, keeping the facts and the header', () => {
    const file = join(dir, 'moved.yaml');
    writeFileSync(file, FIXTURE);
    assert.equal(writeExpectations(file, { hostname: ['set hostname'], swap: [] }, ['hostnamectl set-hostname master'], { worker1: ['true'] }), true);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^# hand-written, flow style\n/);
    assert.deepEqual(parse(text), {
      description: 'a node',
      node: 'master',
      facts: { hostname: { argv: ['hostname'], stdout: 'master\n' } },
      steps: { hostname: ['set hostname'], swap: [] },
      commands: ['hostnamectl set-hostname master'],
      clusterCommands: { worker1: ['true'] },
    });
  });
});
