/** Renders inventory/schema.json from the zod schema (input side: fields with defaults are optional). */
import { z } from 'zod';
import { InventorySchema } from './schema.js';

export function inventoryJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(InventorySchema, { io: 'input', target: 'draft-07', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** The exact text of inventory/schema.json. */
export function renderInventoryJsonSchema(): string {
  return `${JSON.stringify(inventoryJsonSchema(), null, 2)}\n`;
}
