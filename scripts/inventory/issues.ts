/** Turns zod issues into findings with readable messages (missing fields, unknown keys with a suggestion, ...). */
import { z } from 'zod';
import type { Finding, PathSegment } from './errors.js';
import { InventorySchema } from './schema.js';

type Issue = z.core.$ZodIssue;
const q = (v: unknown): string => JSON.stringify(v);

/** Value at a path in plain data; `present` tells a missing key from an explicit null/undefined. */
export function valueAt(data: unknown, path: readonly PathSegment[]): { present: boolean; value: unknown } {
  let current: unknown = data;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || !Object.prototype.hasOwnProperty.call(current, segment)) {
      return { present: false, value: undefined };
    }
    current = (current as Record<PathSegment, unknown>)[segment];
  }
  return { present: true, value: current };
}

/** Keys the schema accepts for the object at `path` (data picks the branch of a discriminated union). */
export function keysAt(path: readonly PathSegment[], data: unknown, schema: z.ZodType = InventorySchema): string[] {
  let current: z.ZodType | undefined = schema;
  let i = 0;
  for (let guard = 0; current !== undefined && guard < 100; guard++) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodPrefault || current instanceof z.ZodNullable) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
    } else if (current instanceof z.ZodUnion) {
      const options = current.options as readonly z.ZodType[];
      const here = valueAt(data, path.slice(0, i)).value;
      const objects = options.filter((o): o is z.ZodObject => o instanceof z.ZodObject);
      const match = objects.find((o) => {
        const type = o.shape['type'];
        return type instanceof z.ZodLiteral && typeof here === 'object' && here !== null && type.value === (here as Record<string, unknown>)['type'];
      });
      if (match) current = match;
      else return [...new Set(objects.flatMap((o) => Object.keys(o.shape)))];
    } else if (i === path.length) {
      return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
    } else if (current instanceof z.ZodObject) {
      current = current.shape[String(path[i++])] as z.ZodType | undefined;
    } else if (current instanceof z.ZodArray) {
      current = current.element as z.ZodType;
      i++;
    } else if (current instanceof z.ZodRecord) {
      current = current.valueType as z.ZodType;
      i++;
    } else {
      return [];
    }
  }
  return [];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The candidate closest to `word` when it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = candidate.toLowerCase() === word.toLowerCase() ? 0 : editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number' && Number.isInteger(value)) return `the number ${value}`;
  return `${typeof value === 'string' ? 'the string' : typeof value === 'number' ? 'the number' : 'the value'} ${q(value)}`;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
  record: 'a mapping (key: value)',
};

function unknownKey(objectPath: readonly PathSegment[], key: string, data: unknown, schema: z.ZodType): Finding {
  const path = [...objectPath, key];
  const valid = keysAt(objectPath, data, schema);
  if (key === 'password' && valid.includes('passwordEnv')) {
    return {
      path,
      at: 'key',
      message: 'a clear-text password is not accepted in the inventory',
      hint: 'use passwordEnv: NAME (an environment variable holding the password) or askPassword: true',
    };
  }
  const suggestion = closest(key, valid);
  return {
    path,
    at: 'key',
    message: `unknown key ${q(key)}`,
    ...(suggestion !== undefined
      ? { hint: `did you mean ${q(suggestion)}?` }
      : valid.length > 0
        ? { hint: `valid keys here: ${valid.join(', ')}` }
        : {}),
  };
}

/**
 * One zod issue as findings (an unrecognized_keys issue gives one finding per key). `schema`: the one that
 * reported it (the inventory's by default; the roster's for a classroom file), for the keys a typo is matched to.
 */
export function issueToFindings(issue: Issue, data: unknown, schema: z.ZodType = InventorySchema): Finding[] {
  const path = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
  const { present, value } = valueAt(data, path);

  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => unknownKey(path, key, data, schema));

  if (!present && issue.code !== 'custom' && path.length > 0) {
    const name = String(path[path.length - 1]);
    const parentPath = path.slice(0, -1);
    const parent = valueAt(data, parentPath).value;
    const valid = keysAt(parentPath, data, schema);
    const typo =
      typeof parent === 'object' && parent !== null && !Array.isArray(parent)
        ? Object.keys(parent).find((k) => !valid.includes(k) && closest(k, [name]) !== undefined)
        : undefined;
    return [{ path, message: `missing required field ${q(name)}`, ...(typo !== undefined ? { hint: `is ${q(typo)} a typo of ${q(name)}?` } : {}) }];
  }

  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      const unquote =
        typeof value === 'string' && (issue.expected === 'number' || issue.expected === 'int' || issue.expected === 'boolean') && /^(-?\d+(\.\d+)?|true|false)$/.test(value)
          ? { hint: `write it without quotes: ${value}` }
          : {};
      const custom = issue.message.startsWith('Invalid input') ? undefined : issue.message;
      return [{ path, message: custom ?? `expected ${expected}, got ${describeType(value)}`, ...unquote }];
    }
    case 'invalid_value': {
      const options = issue.values.map((v) => q(v));
      const suggestion = typeof value === 'string' ? closest(value, issue.values.filter((v): v is string => typeof v === 'string')) : undefined;
      return [
        {
          path,
          message: options.length === 1 ? `must be ${options[0]}, got ${q(value)}` : `${q(value)} is not one of ${options.join(', ')}`,
          ...(suggestion !== undefined ? { hint: `did you mean ${q(suggestion)}?` } : {}),
        },
      ];
    }
    case 'invalid_union': {
      if (issue.discriminator !== undefined && 'options' in issue && issue.options !== undefined) {
        // zod points a discriminated union's issue at the discriminator field itself.
        return [{ path, message: `${q(value)} is not one of ${issue.options.map((o) => q(o)).join(', ')}` }];
      }
      return [{ path, message: issue.message }];
    }
    case 'invalid_key': {
      const inner = issue.issues[0]?.message ?? issue.message;
      return [{ path, at: 'key', message: inner }];
    }
    case 'custom': {
      const hint = (issue.params as { hint?: unknown } | undefined)?.hint;
      return [{ path, message: issue.message, ...(typeof hint === 'string' ? { hint } : {}) }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}
