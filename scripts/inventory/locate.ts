/** Finds where a field path lies in the YAML source (line and column, 1-based). */
import { isAlias, isMap, isNode, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { PathSegment } from './errors.js';

export interface Position {
  readonly line: number;
  readonly column: number;
}

interface Step {
  /** The value node at this depth. */
  readonly node: Node;
  /** The key node that led here, when reached through a mapping. */
  readonly key?: Node;
}

function resolve(doc: Document, node: unknown): Node | undefined {
  if (isAlias(node)) return (node.resolve(doc) as Node | undefined) ?? node;
  return isNode(node) ? node : undefined;
}

/** Walks as far along `path` as the document goes; returns the chain of nodes reached. */
function walk(doc: Document, path: readonly PathSegment[]): { steps: Step[]; complete: boolean; lastKey?: Node } {
  const root = resolve(doc, doc.contents);
  if (!root) return { steps: [], complete: false };
  const steps: Step[] = [{ node: root }];
  for (const segment of path) {
    const current = steps[steps.length - 1]!.node;
    if (isMap(current)) {
      const pair = current.items.find((p) => {
        const k = isScalar(p.key) ? p.key.value : p.key;
        return String(k) === String(segment);
      });
      if (!pair) return { steps, complete: false };
      const key = isNode(pair.key) ? pair.key : undefined;
      const value = resolve(doc, pair.value);
      // A key with no value (`address:`): the key is the best place to point at.
      if (!value) return { steps, complete: false, ...(key ? { lastKey: key } : {}) };
      steps.push({ node: value, ...(key ? { key } : {}) });
    } else if (isSeq(current) && typeof segment === 'number') {
      const value = resolve(doc, current.items[segment]);
      if (!value) return { steps, complete: false };
      steps.push({ node: value });
    } else {
      return { steps, complete: false };
    }
  }
  return { steps, complete: true };
}

function start(node: Node | undefined, lc: LineCounter): Position {
  const offset = node?.range?.[0] ?? 0;
  const { line, col } = lc.linePos(offset);
  return { line, column: col };
}

/**
 * Position of the field at `path`: its value, or its key when `at` is 'key'. For a missing field it points
 * at the parent object (its key when it has one, e.g. `spec:`), so the user sees where to add the field.
 */
export function locate(doc: Document, lc: LineCounter, path: readonly PathSegment[], at?: 'key'): Position {
  const { steps, complete, lastKey } = walk(doc, path);
  if (lastKey) return start(lastKey, lc); // the key is there but its value is empty
  const last = steps[steps.length - 1];
  if (!last) return { line: 1, column: 1 };
  if (complete) return start(at === 'key' && last.key ? last.key : last.node, lc);
  return start(last.key ?? last.node, lc);
}
