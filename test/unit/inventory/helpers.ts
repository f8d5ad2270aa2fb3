/** Shared helpers for the inventory tests (not a test file itself). */
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InventoryError, type Problem } from '../../../scripts/inventory/errors.js';
import { parseInventory } from '../../../scripts/inventory/load.js';

/** The repository root (tests run from dist/test/unit/inventory). */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const fixture = (name: string): string => path.join(ROOT, 'test', 'fixtures', 'inventory', name);
export const repoFile = (...parts: string[]): string => path.join(ROOT, ...parts);

/** A small valid inventory in block style; tests edit it with `edit`. */
export const BASE = `apiVersion: kubelab/v1
kind: Cluster
metadata:
  name: lab
spec:
  kubernetes:
    version: "1.35"
  network:
    nodeCidr: 192.168.56.0/24
  ssh:
    user: vagrant
  nodes:
    - name: master
      role: control-plane
      address: 192.168.56.10
    - name: worker1
      role: worker
      address: 192.168.56.11
`;

/** Replaces the single occurrence of `from` (fails when it is absent or repeated). */
export function edit(text: string, from: string, to: string): string {
  const first = text.indexOf(from);
  assert.ok(first >= 0, `edit: ${JSON.stringify(from)} not found`);
  assert.equal(text.indexOf(from, first + 1), -1, `edit: ${JSON.stringify(from)} occurs twice`);
  return text.slice(0, first) + to + text.slice(first + from.length);
}

/** 1-based line and column of the single occurrence of `needle`, plus `offset` characters. */
export function pos(text: string, needle: string, offset = 0): { line: number; column: number } {
  const index = text.indexOf(needle);
  assert.ok(index >= 0, `pos: ${JSON.stringify(needle)} not found`);
  assert.equal(text.indexOf(needle, index + 1), -1, `pos: ${JSON.stringify(needle)} occurs twice`);
  const before = text.slice(0, index + offset);
  const line = before.split('\n').length;
  const column = index + offset - before.lastIndexOf('\n');
  return { line, column };
}

/** The problems parseInventory reports for `text` (fails when it loads). */
export function problemsOf(text: string, file = 'test.yaml'): readonly Problem[] {
  try {
    parseInventory(text, file);
  } catch (err) {
    assert.ok(err instanceof InventoryError, `expected InventoryError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected the inventory to be refused');
}

/** The single problem reported for `text`. */
export function onlyProblem(text: string): Problem {
  const problems = problemsOf(text);
  assert.equal(problems.length, 1, `expected one problem, got:\n${problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`).join('\n')}`);
  return problems[0]!;
}

/** Asserts a problem's path, position and that its message (and hint) contain the given words. */
export function assertProblem(
  p: Problem,
  expected: { path: string; at?: { line: number; column: number }; message?: readonly (string | RegExp)[]; hint?: readonly (string | RegExp)[]; value?: string },
): void {
  assert.equal(p.path, expected.path);
  if (expected.at) assert.deepEqual({ line: p.line, column: p.column }, expected.at, `position of ${p.path}: ${p.message}`);
  for (const word of expected.message ?? []) {
    if (typeof word === 'string') assert.ok(p.message.includes(word), `message ${JSON.stringify(p.message)} lacks ${JSON.stringify(word)}`);
    else assert.match(p.message, word);
  }
  for (const word of expected.hint ?? []) {
    assert.ok(p.hint !== undefined, `no hint on ${p.path}: ${p.message}`);
    if (typeof word === 'string') assert.ok(p.hint.includes(word), `hint ${JSON.stringify(p.hint)} lacks ${JSON.stringify(word)}`);
    else assert.match(p.hint, word);
  }
  if (expected.value !== undefined) assert.equal(p.value, expected.value);
}
