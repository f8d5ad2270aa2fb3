/**
 * `kubelab --help` (and every command, before it is picked) starts quickly: the entry's static import graph holds
 * none of the heavy libraries nor the phases (which pull in every step); commands load them with import().
 * Checked on the compiled JavaScript (dist/), where type-only imports are gone.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';

const DIST_SCRIPTS = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts');
const STATIC_IMPORT = /^\s*(?:import|export)\s+(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm;

/** Every module reached from `entry` by static imports: local files (relative to dist/scripts) and packages. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(join(dirname(file), spec));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visit(join(DIST_SCRIPTS, 'kubelab.js'));
  return { files, packages };
}

it('the entry statically imports no heavy library and not the phases', () => {
  const { files, packages } = staticGraph('kubelab.js');
  assert.ok(files.size > 3, 'the graph was read');
  for (const heavy of ['@kubernetes/client-node', 'ssh2', 'ora', 'zod', 'yaml', 'smol-toml']) assert.ok(!packages.has(heavy), `${heavy} is loaded at start-up`);
  const local = [...files].map((f) => f.slice(DIST_SCRIPTS.length + 1));
  assert.ok(!local.includes('phases/index.js'), 'phases/index.js is loaded at start-up');
  assert.deepEqual(local.filter((f) => /^(steps|k8s|transport\/ssh|report\/tty)/.test(f)), []);
});
