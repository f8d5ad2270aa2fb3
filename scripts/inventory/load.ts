/** Reads an inventory file: YAML syntax, schema and cross-field rules, every problem reported at once. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { formatPath, InventoryError, renderValue, type Finding, type Problem } from './errors.js';
import { issueToFindings, valueAt } from './issues.js';
import { locate } from './locate.js';
import { normalise } from './normalise.js';
import { checkRules } from './rules.js';
import { InventorySchema } from './schema.js';
import type { Inventory } from './types.js';

export { InventoryError } from './errors.js';
export type { Problem } from './errors.js';
export type { Inventory, InventoryNode, NodeSsh } from './types.js';

/** The inventory used when none is named. */
export const DEFAULT_INVENTORY_FILE = 'inventory/lab.yaml';

/** The inventory file to load: the one given, else the default (inventory/lab.yaml). */
export function inventoryFile(given?: string): string {
  return given !== undefined && given !== '' ? given : DEFAULT_INVENTORY_FILE;
}

/** Where kubelab keeps this cluster's state (keys, logs, known_hosts): `.kubelab/<metadata.name>` under the cwd. */
export function stateDir(inv: Inventory): string {
  return path.resolve('.kubelab', inv.metadata.name);
}

const byPosition = (a: Problem, b: Problem): number => a.line - b.line || a.column - b.column;

/** Parses and validates inventory text; throws InventoryError listing every problem. `file` is used in messages. */
export function parseInventory(text: string, file: string): Inventory {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });

  if (doc.errors.length > 0) {
    const problems = doc.errors.map((err): Problem => {
      const { line, col } = lineCounter.linePos(err.pos[0]);
      const message =
        err.code === 'MULTIPLE_DOCS'
          ? 'the file holds several YAML documents (---); an inventory is a single document'
          : `YAML syntax error: ${err.message}`;
      return { file, line, column: col, path: '', message };
    });
    throw new InventoryError(file, problems.sort(byPosition));
  }

  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    const what = data === null || data === undefined ? 'empty' : Array.isArray(data) ? 'a list' : `the ${typeof data} ${JSON.stringify(data)}`;
    throw new InventoryError(file, [
      { file, line: 1, column: 1, path: '', message: `the inventory is ${what}; expected a mapping starting with apiVersion: kubelab/v1` },
    ]);
  }

  const result = InventorySchema.safeParse(data);
  const findings: Finding[] = [
    ...(result.success ? [] : result.error.issues.flatMap((issue) => issueToFindings(issue, data))),
    ...checkRules(data),
  ];

  if (findings.length > 0 || !result.success) {
    const seen = new Set<string>();
    const problems: Problem[] = [];
    for (const f of findings) {
      const pathText = formatPath(f.path);
      const key = `${pathText}\0${f.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const { line, column } = locate(doc, lineCounter, f.path, f.at);
      const value = renderValue(f.at === 'key' ? f.path[f.path.length - 1] : valueAt(data, f.path).value);
      problems.push({
        file,
        line,
        column,
        path: pathText,
        ...(value !== undefined ? { value } : {}),
        message: f.message,
        ...(f.hint !== undefined ? { hint: f.hint } : {}),
      });
    }
    throw new InventoryError(file, problems.sort(byPosition));
  }

  return normalise(result.data);
}

/** Reads and validates an inventory file; throws InventoryError (also when the file cannot be read). */
export async function loadInventory(file: string): Promise<Inventory> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(err));
    throw new InventoryError(file, [{ file, line: 0, column: 0, path: '', message: `cannot read the inventory: ${why}` }]);
  }
  return parseInventory(text, file);
}
