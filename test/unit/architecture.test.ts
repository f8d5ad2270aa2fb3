/**
 * Imports point one way: a file under scripts/ may import only from its own level or a lower one (a larger
 * number). The layer table is ARCHITECTURE.md's; scripts/util/ is the lowest layer, which everything may use.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../support/seed.js';

/** scripts/<folder> (or a top-level file) -> its level; 1 is the top. */
export const LEVELS: Readonly<Record<string, number>> = {
  'kubelab.ts': 1,
  commands: 1,
  class: 1,
  report: 2,
  doctor: 2,
  heal: 2,
  providers: 2,
  phases: 3,
  steps: 4,
  checks: 5,
  facts: 6,
  render: 6,
  k8s: 6,
  manifests: 6,
  artifacts: 6,
  host: 6,
  engine: 7,
  transport: 8,
  inventory: 8,
  util: 9,
};

/**
 * Upward imports that other parts of the refactor remove: "from -> to", both relative to scripts/.
 * Removed when part B/C lands (the lead empties this list after merging).
 */
const ALLOWED: ReadonlySet<string> = new Set<string>([]);

const SCRIPTS = resolve(ROOT, 'scripts');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The level of a file under scripts/ ("commands/apply.ts" -> 1); undefined for a folder not in the table. */
function levelOf(rel: string): number | undefined {
  return LEVELS[rel.split('/')[0]!];
}

/** Relative module specifiers of a file's imports and re-exports, static or dynamic. */
export function relativeImports(source: string): string[] {
  const specs: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const m of source.matchAll(re)) specs.push(m[1]!);
  return specs;
}

interface Edge {
  from: string;
  to: string;
}

function edges(): Edge[] {
  return tsFiles(SCRIPTS).flatMap((file) =>
    relativeImports(readFileSync(file, 'utf8')).map((spec) => ({
      from: relative(SCRIPTS, file),
      to: relative(SCRIPTS, resolve(dirname(file), spec)).replace(/\.js$/, '.ts'),
    })),
  );
}

describe('architecture: imports in one direction', () => {
  const all = edges();

  it('finds the imports it checks (the scan itself works)', () => {
    assert.ok(all.length > 200, `only ${all.length} imports found`);
    assert.deepEqual(relativeImports("import a from './a.js';\nexport { b } from '../b.js';\nconst c = await import('./c.js');\nimport 'yaml';"), [
      './a.js',
      '../b.js',
      './c.js',
    ]);
  });

  it('every folder under scripts/ has a level', () => {
    const unknown = [...new Set(tsFiles(SCRIPTS).map((f) => relative(SCRIPTS, f)).filter((f) => levelOf(f) === undefined))];
    assert.deepEqual(unknown, [], 'add the folder to LEVELS (and to ARCHITECTURE.md)');
  });

  it('no file imports from a higher level than its own', () => {
    const upward = all
      .filter((e) => !e.to.startsWith('..'))
      .filter((e) => levelOf(e.to)! < levelOf(e.from)!)
      .map((e) => `${e.from} -> ${e.to}`);
    const violations = upward.filter((e) => !ALLOWED.has(e));
    assert.deepEqual(violations, [], `imports pointing up the layer table (level: ${JSON.stringify(LEVELS)})`);
  });

  it('the allowed exceptions still exist (an entry is removed with the import it excuses)', () => {
    const present = new Set(all.map((e) => `${e.from} -> ${e.to}`));
    assert.deepEqual([...ALLOWED].filter((e) => !present.has(e)), []);
  });

  it('no import leaves scripts/', () => {
    assert.deepEqual(all.filter((e) => e.to.startsWith('..')).map((e) => `${e.from} -> ${e.to}`), []);
  });
});
