#!/usr/bin/env node
import { createRequire } from 'node:module';
import { KubelabError } from './util/errors.js';
import { HELP } from './commands/help.js';
import { PHASE_NAMES } from './phases/names.js';
import { InventoryError } from './inventory/errors.js';
import { TransportError } from './transport/types.js';
import type { CliContext } from './commands/cli-context.js';
import { askSecret } from './commands/prompt.js';
import { readSettings } from './commands/settings.js';

const COMMANDS: Record<string, (args: string[], ctx: CliContext) => Promise<number>> = {
  plan: async (args, ctx) => (await import('./commands/apply.js')).applyCommand('plan', args, ctx),
  up: async (args, ctx) => (await import('./commands/apply.js')).applyCommand('apply', args, ctx),
  exec: async (args, ctx) => (await import('./commands/exec.js')).execCommand(args, ctx),
  vm: async (args, ctx) => (await import('./commands/vm.js')).vmCommand(args, ctx),
  render: async (args, ctx) => (await import('./commands/render.js')).renderCommand(args, ctx),
  check: async (args, ctx) => (await import('./commands/check.js')).checkCommand(args, ctx),
  kubeconfig: async (args, ctx) => (await import('./commands/kubeconfig.js')).kubeconfigCommand(args, ctx),
  bundle: async (args, ctx) => (await import('./commands/bundle.js')).bundleCommand(args, ctx),
  inventory: async (args, ctx) => (await import('./commands/inventory.js')).inventoryCommand(args, ctx),
};

async function main(argv: string[]): Promise<number> {
  const ctx = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    askSecret: process.stdin.isTTY ? askSecret : undefined,
  };
  const [command, ...rest] = argv;
  const help = HELP.replace('PHASES', PHASE_NAMES.join(', '));
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    ctx.stdout.write(help);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version') {
    const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
    ctx.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    ctx.stderr.write(`kubelab: unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(', ')}; see kubelab --help)\n`);
    return 2;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    ctx.stdout.write(help);
    return 0;
  }
  try {
    return await run(rest, { ...ctx, settings: readSettings(ctx.env) });
  } catch (err) {
    if (err instanceof InventoryError) {
      ctx.stderr.write(`${err.format()}\n`);
      return 2;
    }
    if (err instanceof KubelabError) {
      // UsageError (2), StepError and TransportError (1, the latter prefixed with its host), provider failures (1)
      const where = err instanceof TransportError ? `${err.host}: ` : '';
      ctx.stderr.write(`kubelab: ${where}${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`kubelab: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(70);
  },
);
