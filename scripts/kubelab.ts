#!/usr/bin/env node
import { createRequire } from 'node:module';
import { HELP } from './commands/help.js';
import { PHASE_NAMES } from './phases/names.js';
import type { CliContext } from './commands/cli-context.js';
import { askSecret } from './commands/prompt.js';
import { readSettings } from './commands/settings.js';
import { describeError } from './commands/error-text.js';

const COMMANDS: Record<string, (args: string[], ctx: CliContext) => Promise<number>> = {
  plan: async (args, ctx) => (await import('./commands/apply.js')).applyCommand('plan', args, ctx),
  up: async (args, ctx) => (await import('./commands/apply.js')).applyCommand('apply', args, ctx),
  exec: async (args, ctx) => (await import('./commands/exec.js')).execCommand(args, ctx),
  vm: async (args, ctx) => (await import('./commands/vm.js')).vmCommand(args, ctx),
  render: async (args, ctx) => (await import('./commands/render.js')).renderCommand(args, ctx),
  check: async (args, ctx) => (await import('./commands/check.js')).checkCommand(args, ctx),
  doctor: async (args, ctx) => (await import('./commands/doctor.js')).doctorCommand(args, ctx),
  heal: async (args, ctx) => (await import('./commands/heal.js')).healCommand(args, ctx),
  kubeconfig: async (args, ctx) => (await import('./commands/kubeconfig.js')).kubeconfigCommand(args, ctx),
  bundle: async (args, ctx) => (await import('./commands/bundle.js')).bundleCommand(args, ctx),
  inventory: async (args, ctx) => (await import('./commands/inventory.js')).inventoryCommand(args, ctx),
  class: async (args, ctx) => (await import('./commands/class.js')).classCommand(args, ctx),
};

/** Exit codes of an interrupted run (128 + the signal's number, as shells report it). */
const INTERRUPT_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
type Interrupt = keyof typeof INTERRUPT_EXIT;
/** How long an interrupted run may take to stop (interrupt its commands, write its logs and recap). */
const STOP_GRACE_MS = 10_000;

/**
 * The first Ctrl-C (SIGINT) or SIGTERM aborts the run's signal: no new step or command starts, the running
 * remote commands are interrupted, the host logs get an "interrupted" line and the recap is printed; the exit
 * code is then 130 (SIGINT) or 143 (SIGTERM). A second one, or a run not stopped after STOP_GRACE_MS, exits at once.
 */
function handleInterrupts(controller: AbortController, stderr: NodeJS.WriteStream): void {
  for (const sig of Object.keys(INTERRUPT_EXIT) as Interrupt[]) {
    process.on(sig, () => {
      if (controller.signal.aborted) {
        stderr.write(`kubelab: ${sig} again: exiting now (remote commands may still be running)\n`);
        process.exit(INTERRUPT_EXIT[sig]);
      }
      controller.abort(sig);
      stderr.write(`\nkubelab: ${sig}: stopping (interrupting the running commands); ${sig === 'SIGINT' ? 'Ctrl-C' : sig} again exits at once\n`);
      setTimeout(() => {
        stderr.write(`kubelab: not stopped ${STOP_GRACE_MS / 1000}s after ${sig}: exiting now\n`);
        process.exit(INTERRUPT_EXIT[sig]);
      }, STOP_GRACE_MS).unref();
    });
  }
}

/** The exit code: the command's, or 130/143 when the run was interrupted. */
function exitCode(code: number, signal: AbortSignal): number {
  return signal.aborted ? INTERRUPT_EXIT[signal.reason as Interrupt] : code;
}

async function main(argv: string[], signal: AbortSignal): Promise<number> {
  const ctx = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    askSecret: process.stdin.isTTY ? askSecret : undefined,
    signal,
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
    const told = describeError(err);
    if (!told) throw err;
    ctx.stderr.write(told.text);
    return told.exitCode;
  }
}

/**
 * Exits once stdout and stderr have taken everything written to them: a pipe that is full makes Node queue the
 * writes, and process.exit would drop them (a 30 MB exec's shown tail was cut to ~40 KB). The empty writes'
 * callbacks run after the queued writes.
 */
function exitAfterFlush(code: number): void {
  let pending = 2;
  const done = (): void => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

const interrupts = new AbortController();
handleInterrupts(interrupts, process.stderr);
main(process.argv.slice(2), interrupts.signal).then(
  (code) => exitAfterFlush(exitCode(code, interrupts.signal)),
  (err: unknown) => {
    process.stderr.write(`kubelab: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    exitAfterFlush(exitCode(70, interrupts.signal));
  },
);
