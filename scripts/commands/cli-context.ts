import type { Settings } from '../util/settings.js';

/** What a command may touch of the outside world, passed explicitly (tests give their own). */
export interface CliContext {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Input a command reads (inventory from-vagrant -); tests give their own. */
  stdin?: NodeJS.ReadableStream;
  /** Read only in commands/ (secrets the inventory names by variable); everything else comes from `settings`. */
  env: NodeJS.ProcessEnv;
  /** The environment's settings (commands/settings.ts readSettings), read once at the entry. */
  settings: Settings;
  /** Asks the user for a secret on the terminal (no echo); undefined when there is no terminal. */
  askSecret?: (prompt: string) => Promise<string>;
  /**
   * Aborted by the entry point on the first Ctrl-C / SIGTERM (reason: the signal name): no new step or command
   * starts, running remote commands are interrupted. Undefined: nothing interrupts the run (tests).
   */
  signal?: AbortSignal;
}
