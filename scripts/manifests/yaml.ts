import { parseAllDocuments, stringify, type ParseOptions, type DocumentOptions, type SchemaOptions } from 'yaml';

/** A Kubernetes object as plain data (what parseManifests returns and renderers edit). */
export type K8sObject = Record<string, unknown>;

/**
 * YAML 1.1 like kubectl's go-yaml, so upstream files mean what they mean to kubectl (0644 is octal 420, on/yes
 * are booleans), except that timestamps and sexagesimal numbers (1:20) stay strings: plain JSON data only.
 * Writing with the same schema quotes every string a 1.1 reader would take for something else ("on", "0644").
 */
const yamlOptions: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  customTags: (tags) =>
    tags.filter((t) =>
      typeof t === 'string'
        ? !['timestamp', 'intTime', 'floatTime'].includes(t)
        : t.tag !== 'tag:yaml.org,2002:timestamp' && t.format !== 'TIME',
    ),
};

/** Multi-document YAML -> plain objects in file order; empty documents are skipped; syntax errors throw. */
export function parseManifests(text: string, source = 'manifest'): K8sObject[] {
  const out: K8sObject[] = [];
  parseAllDocuments(text, yamlOptions).forEach((doc, i) => {
    const err = doc.errors[0];
    if (err) throw new Error(`${source}: document ${i + 1}: ${err.message}`);
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new Error(`${source}: document ${i + 1} is not a mapping`);
    }
    out.push(value as K8sObject);
  });
  return out;
}

/**
 * Objects -> YAML, one document each, separated by `---` lines; deterministic (key order as in the objects, no
 * anchors for shared sub-objects, no line folding, multi-line strings as block literals).
 */
export function stringifyManifests(objs: readonly unknown[]): string {
  return objs.map((o) => stringify(o, { ...yamlOptions, lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}
