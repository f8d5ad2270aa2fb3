/**
 * Writes inventory/schema.json from the zod schema: `node dist/scripts/inventory/write-schema.js [--check] [file]`.
 * With --check it writes nothing and exits 1 when the file differs from what would be generated.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { renderInventoryJsonSchema } from './json-schema.js';

export const SCHEMA_FILE = 'inventory/schema.json';

async function main(argv: readonly string[]): Promise<number> {
  const check = argv.includes('--check');
  const file = argv.find((a) => !a.startsWith('--')) ?? SCHEMA_FILE;
  const text = renderInventoryJsonSchema();
  if (check) {
    const current = await readFile(file, 'utf8').catch(() => '');
    if (current !== text) {
      process.stderr.write(`${file} is out of date: run npm run schema\n`);
      return 1;
    }
    process.stdout.write(`${file} is up to date\n`);
    return 0;
  }
  await writeFile(file, text);
  process.stdout.write(`wrote ${file}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
