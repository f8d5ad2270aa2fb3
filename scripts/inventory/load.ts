/** Reads an inventory file: YAML syntax, schema and cross-field rules, every problem reported at once. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { formatPath, InventoryError, renderValue, type Finding, type Problem } from './errors.js';
import { issueToFindings, valueAt } from './issues.js';
import { locate } from './locate.js';
import { normalise } from './normalise.js';
import { checkRules } from './rules.js';
import { InventorySchema, type ParsedInventory } from './schema.js';
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

/** A YAML file read as one mapping, with what places findings at their line and column. */
export interface YamlSource {
  readonly file: string;
  readonly doc: Document;
  readonly lineCounter: LineCounter;
  readonly data: Record<string, unknown>;
}

/**
 * YAML text that must be one mapping (`noun`: "inventory" or "roster", for the messages); throws InventoryError on
 * a syntax error, several documents, or anything but a mapping.
 */
export function readYamlMapping(text: string, file: string, noun: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });

  if (doc.errors.length > 0) {
    const problems = doc.errors.map((err): Problem => {
      const { line, col } = lineCounter.linePos(err.pos[0]);
      const message =
        err.code === 'MULTIPLE_DOCS'
          ? `the file holds several YAML documents (---); ${noun === 'inventory' ? 'an' : 'a'} ${noun} is a single document`
          : `YAML syntax error: ${err.message}`;
      return { file, line, column: col, path: '', message };
    });
    throw new InventoryError(file, problems.sort(byPosition));
  }

  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    const what = data === null || data === undefined ? 'empty' : Array.isArray(data) ? 'a list' : `the ${typeof data} ${JSON.stringify(data)}`;
    throw new InventoryError(file, [
      { file, line: 1, column: 1, path: '', message: `the ${noun} is ${what}; expected a mapping starting with apiVersion: kubelab/v1` },
    ]);
  }
  return { file, doc, lineCounter, data: data as Record<string, unknown> };
}

/** Findings placed at their line and column in `src` (the offending value shown), without repeats, in file order. */
export function placeFindings(src: YamlSource, findings: readonly Finding[]): Problem[] {
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const f of findings) {
    const pathText = formatPath(f.path);
    const key = `${pathText}\0${f.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const { line, column } = locate(src.doc, src.lineCounter, f.path, f.at);
    const value = renderValue(f.at === 'key' ? f.path[f.path.length - 1] : valueAt(src.data, f.path).value);
    problems.push({
      file: src.file,
      line,
      column,
      path: pathText,
      ...(value !== undefined ? { value } : {}),
      message: f.message,
      ...(f.hint !== undefined ? { hint: f.hint } : {}),
    });
  }
  return problems.sort(byPosition);
}

/** The schema's and the cross-field rules' findings for inventory data, and the parsed inventory when there are none. */
export function inventoryFindings(data: unknown): { findings: Finding[]; parsed?: ParsedInventory } {
  const result = InventorySchema.safeParse(data);
  const findings: Finding[] = [
    ...(result.success ? [] : result.error.issues.flatMap((issue) => issueToFindings(issue, data))),
    ...checkRules(data),
  ];
  return findings.length === 0 && result.success ? { findings, parsed: result.data } : { findings };
}

/** Parses and validates inventory text; throws InventoryError listing every problem. `file` is used in messages. */
export function parseInventory(text: string, file: string): Inventory {
  const src = readYamlMapping(text, file, 'inventory');
  const { findings, parsed } = inventoryFindings(src.data);
  if (!parsed) throw new InventoryError(file, placeFindings(src, findings));
  return normalise(parsed);
}

/** The text of a configuration file (`noun`: "inventory", "roster"); InventoryError when it cannot be read. */
export async function readConfigText(file: string, noun: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(err));
    throw new InventoryError(file, [{ file, line: 0, column: 0, path: '', message: `cannot read the ${noun}: ${why}` }]);
  }
}

/** Reads and validates an inventory file; throws InventoryError (also when the file cannot be read). */
export async function loadInventory(file: string): Promise<Inventory> {
  return parseInventory(await readConfigText(file, 'inventory'), file);
}
