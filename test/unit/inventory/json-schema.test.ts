/** inventory/schema.json is generated from the zod schema and must not drift from it. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { inventoryJsonSchema, renderInventoryJsonSchema } from '../../../scripts/inventory/json-schema.js';
import { repoFile } from './helpers.js';

describe('inventory/schema.json', () => {
  it('equals what write-schema generates now (run `npm run schema` after changing the schema)', async () => {
    const committed = await readFile(repoFile('inventory', 'schema.json'), 'utf8');
    assert.equal(committed, renderInventoryJsonSchema());
  });

  it('is the input side: fields with defaults are optional, unknown keys are refused', () => {
    const schema = inventoryJsonSchema() as {
      required: string[];
      additionalProperties: boolean;
      properties: { spec: { required: string[]; properties: { kubernetes: { required: string[] }; ssh: { properties: Record<string, unknown> } } } };
    };
    assert.deepEqual(schema.required, ['apiVersion', 'kind', 'metadata', 'spec']);
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.properties.spec.required, ['kubernetes', 'network', 'nodes']);
    assert.deepEqual(schema.properties.spec.properties.kubernetes.required, ['version']);
    assert.ok(!('password' in schema.properties.spec.properties.ssh.properties));
  });
});
