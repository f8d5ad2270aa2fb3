/** The inventory module's public API. */
export { DEFAULT_INVENTORY_FILE, inventoryFile, loadInventory, parseInventory, stateDir } from './load.js';
export { InventoryError, formatProblem } from './errors.js';
export type { Problem } from './errors.js';
export { API_VERSION, DEFAULTS, InventorySchema, SUPPORTED_VERSIONS } from './schema.js';
export type * from './types.js';
