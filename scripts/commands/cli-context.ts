/** What a command may touch of the outside world, passed explicitly (tests give their own). */
export interface CliContext {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
  /** Asks the user for a secret on the terminal (no echo); undefined when there is no terminal. */
  askSecret?: (prompt: string) => Promise<string>;
}
