import type { RecordedAnswer } from './recorded-facts.js';
import type { ExecOptions, ExecResult, PutOptions, Transport } from '../../scripts/transport/types.js';

/**
 * Accepts every command (exit 0, no output, unless `answers` has a recorded answer for the command line) and
 * upload, and records them: what applying a plan would do.
 */
export class RecordingTransport implements Transport {
  readonly commands: string[] = [];
  readonly puts = new Map<string, { content: string; mode: number }>();
  /** Local files uploaded with putFile, by destination. */
  readonly putFiles = new Map<string, { localPath: string; mode: number }>();
  constructor(
    readonly name: string,
    private readonly answers: Readonly<Record<string, RecordedAnswer>> = {},
  ) {}
  async connect(): Promise<void> {}
  async close(): Promise<void> {}
  async exec(argv: readonly string[], _opts?: ExecOptions): Promise<ExecResult> {
    const line = argv.join(' ');
    this.commands.push(line);
    const a = this.answers[line];
    return { stdout: a?.stdout ?? '', stderr: a?.stderr ?? '', code: a?.code ?? 0, durationMs: 0 };
  }
  async putFile(localPath: string, dest: string, opts: PutOptions): Promise<void> {
    this.commands.push(`putFile ${localPath} ${dest} ${opts.mode.toString(8)}`);
    this.putFiles.set(dest, { localPath, mode: opts.mode });
  }
  async put(content: string | Buffer, dest: string, opts: PutOptions): Promise<void> {
    this.commands.push(`put ${dest} ${opts.mode.toString(8)}`);
    this.puts.set(dest, { content: content.toString(), mode: opts.mode });
  }
}

/** A transport for code paths that must not run commands on the node (the API is reached directly). */
export const noTransport: Transport = {
  name: 'master',
  connect: async () => undefined,
  exec: async (): Promise<ExecResult> => {
    throw new Error('not expected');
  },
  put: async () => undefined,
  close: async () => undefined,
};
