/** Inventory problems: what is wrong, where (file:line:column and field path), and how to fix it. */

export type PathSegment = string | number;

export interface Problem {
  /** The inventory file as given to the loader (e.g. "inventory/lab.yaml"). */
  readonly file: string;
  /** 1-based; 0 when the problem concerns the whole file (e.g. it cannot be read). */
  readonly line: number;
  /** 1-based; 0 when the problem concerns the whole file. */
  readonly column: number;
  /** Field path like "spec.nodes[1].address"; "" for the document itself. */
  readonly path: string;
  /** The offending value rendered as JSON (undefined when the field is missing). */
  readonly value?: string;
  readonly message: string;
  readonly hint?: string;
}

/** A problem before it is placed in the file: rules and schema issues produce these. */
export interface Finding {
  readonly path: readonly PathSegment[];
  readonly message: string;
  readonly hint?: string;
  /** Point at the key of the last path segment instead of its value (unknown or invalid keys). */
  readonly at?: 'key';
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** ["spec", "nodes", 1, "address"] -> "spec.nodes[1].address"; odd keys are quoted: registryMirrors["docker.io"]. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** JSON-ish rendering of a value for messages, shortened when long. */
export function renderValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function formatProblem(p: Problem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.column}` : p.file;
  const field = p.path === '' ? '' : ` ${p.path}:`;
  const hint = p.hint ? ` (hint: ${p.hint})` : '';
  return `${where}${field} ${p.message}${hint}`;
}

/** Thrown by the loader with every problem found in the inventory; format() gives one line per problem. */
export class InventoryError extends Error {
  readonly problems: readonly Problem[];

  constructor(
    readonly file: string,
    problems: readonly Problem[],
  ) {
    const frozen = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
    super(
      `${file}: ${frozen.length} problem${frozen.length === 1 ? '' : 's'} in the inventory\n` +
        frozen.map(formatProblem).join('\n'),
    );
    this.name = 'InventoryError';
    this.problems = frozen;
  }

  /** One line per problem, `file:line:column path: message (hint: ...)`, no stack trace. */
  format(): string {
    return this.problems.map(formatProblem).join('\n');
  }
}
