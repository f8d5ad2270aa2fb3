import { parseArgs } from 'node:util';
import { DEFAULT_INVENTORY_FILE } from '../inventory/load.js';
import { OUTPUT_MODES, type OutputMode } from '../report/index.js';
import { UsageError } from '../util/errors.js';


interface CommonOptions {
  inventory: string;
  output?: OutputMode;
  concurrency: number;
  help: boolean;
}

/** Options every command shares; `extra` are the command's own (node:util parseArgs format). */
export function parseCommon(
  args: string[],
  extra: NonNullable<Parameters<typeof parseArgs>[0]>['options'] = {},
): { common: CommonOptions; values: Record<string, unknown>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        inventory: { type: 'string', short: 'i', default: DEFAULT_INVENTORY_FILE },
        output: { type: 'string', short: 'o' },
        concurrency: { type: 'string', default: '10' },
        help: { type: 'boolean', short: 'h', default: false },
        ...extra,
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values as Record<string, unknown>;
  const output = v.output as string | undefined;
  if (output !== undefined && !OUTPUT_MODES.includes(output as OutputMode)) {
    throw new UsageError(`--output ${output}: expected one of ${OUTPUT_MODES.join(', ')}`);
  }
  const concurrency = Number(v.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new UsageError(`--concurrency ${String(v.concurrency)}: expected a whole number of at least 1`);
  }
  return {
    common: {
      inventory: v.inventory as string,
      output: output as OutputMode | undefined,
      concurrency,
      help: v.help === true,
    },
    values: v,
    positionals: parsed.positionals,
  };
}

/** A comma-separated option value as a list (undefined when the option was not given). */
export function listOption(value: unknown): string[] | undefined {
  return typeof value === 'string' ? value.split(',').map((x) => x.trim()).filter(Boolean) : undefined;
}
