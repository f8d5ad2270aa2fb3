import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifests, stringifyManifests } from '../../../scripts/manifests/yaml.js';
import { loadLock } from '../../../scripts/manifests/lock.js';
import { NO_SEED, testSeedDir } from '../../support/seed.js';

test('parseManifests returns the documents as plain objects, skipping empty ones', () => {
  const text = '---\n# only a comment\n---\nkind: A\n---\n---\nkind: B\nlist: [1, 2]\n...\n';
  assert.deepEqual(parseManifests(text), [{ kind: 'A' }, { kind: 'B', list: [1, 2] }]);
  assert.deepEqual(parseManifests(''), []);
});

test('parseManifests reads scalars as kubectl does, without dates or sexagesimals', () => {
  const [o] = parseManifests('mode: 0644\nflag: on\nday: 2024-01-01\ntime: 1:20\nquoted: "0644"\n');
  assert.deepEqual(o, { mode: 420, flag: true, day: '2024-01-01', time: '1:20', quoted: '0644' });
});

test('parseManifests rejects syntax errors, duplicate keys and non-mapping documents', () => {
  assert.throws(() => parseManifests('kind: A\n---\nkind: [\n', 'x.yaml'), /^Error: x\.yaml: document 2: /);
  assert.throws(() => parseManifests('a: 1\na: 2\n'), /document 1: .*unique/i);
  assert.throws(() => parseManifests('- a\n- b\n', 'y.yaml'), /y\.yaml: document 1 is not a mapping/);
});

test('stringifyManifests: documents separated by ---, strings kept strings, no anchors, stable', () => {
  const shared = { app: 'x' };
  const objs = [
    { kind: 'ConfigMap', data: { 'a.json': '{\n  "b": 1\n}\n', on: 'on', mode: '0644', long: 'x'.repeat(200) } },
    { kind: 'Deployment', metadata: { labels: shared }, spec: { selector: { matchLabels: shared } } },
  ];
  const text = stringifyManifests(objs);
  assert.equal(
    text,
    'kind: ConfigMap\ndata:\n  a.json: |\n    {\n      "b": 1\n    }\n  "on": "on"\n  mode: "0644"\n' +
      `  long: ${'x'.repeat(200)}\n` +
      '---\nkind: Deployment\nmetadata:\n  labels:\n    app: x\nspec:\n  selector:\n    matchLabels:\n      app: x\n',
  );
  assert.deepEqual(parseManifests(text), objs);
  assert.equal(stringifyManifests(parseManifests(text)), text);
});

test('every pinned upstream manifest survives parse -> stringify -> parse', async (t) => {
  const seed = testSeedDir();
  if (!seed) return t.skip(NO_SEED);
  for (const [id, files] of (await loadLock()).sets) {
    if (id.endsWith('-kustomize')) continue; // kustomize sources: JSON patches are lists, not objects
    for (const f of files) {
      const objs = parseManifests(await readFile(join(seed, f.path), 'utf8'), f.path);
      assert.ok(objs.length > 0, f.path);
      assert.deepEqual(parseManifests(stringifyManifests(objs)), objs, f.path);
    }
  }
});
