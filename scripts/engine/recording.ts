import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { redactRecorded } from '../transport/redact.js';
import type { ExecOptions, ExecResult, PutOptions, Transport } from '../transport/types.js';
import type { FactRecord, RunRecorder, TransportPool } from './types.js';

/** One entry of <dir>/facts/<node>.yaml: a fact's answer, where it was asked. */
export type RecordedFactEntry = Omit<FactRecord, 'node'>;

/** <dir>/ssh.json's shape (and a check scenario's): node -> argv joined by spaces -> answer. */
export type SshAnswers = Record<string, Record<string, { stdout: string; stderr: string; code: number }>>;

/** A file name for a node, a namespace or an object name (they are DNS names already; anything else is replaced). */
export function safeName(name: string): string {
  return name.replace(/[^\w.-]/g, '_');
}

/** Writes a file of the recording (folders made as needed). */
export function writeRecorded(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, content, { mode: 0o600 });
}

/**
 * Record mode (KUBELAB_RECORD=<dir>): what a run read, written as it is read so a failed run keeps its recording.
 *
 * - `<dir>/facts/<node>.yaml`: every fact answer read on the node, in order, as a list of {phase, step, for?, key,
 *   argv, stdout, stderr, code} (`for`: the node whose step asked, when another one). The same answer asked again
 *   in the same phase (cache hits, other steps) is written once; a new answer after a change is written again.
 * - `<dir>/api/`: the API answers (k8s/recording-api.ts), the checks' SSH answers (ssh.json) and their run id
 *   (run.json), in the layout of a check scenario (test/support/check-scenario.ts).
 * - `<dir>/command.json`: the kubelab command line (writeCommand); `<dir>/spec.yaml`: the inventory spec it
 *   planned with (writeSpec).
 *
 * Every string written goes through redactRecorded: the session's secrets (passwords) and the command's own
 * (bootstrap tokens on stdin), then bootstrap tokens and certificate keys recognised by their shape.
 */
export class Recording implements RunRecorder {
  readonly apiDir: string;
  private readonly facts = new Map<string, RecordedFactEntry[]>();
  private readonly last = new Map<string, string>();
  private readonly ssh: SshAnswers = {};

  constructor(
    readonly dir: string,
    private readonly secrets: readonly string[] = [],
  ) {
    this.apiDir = join(dir, 'api');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  redact(text: string, secrets: readonly string[] = []): string {
    return redactRecorded(text, [...this.secrets, ...secrets]);
  }

  /** <dir>/command.json: the argv kubelab was started with (after the program name), redacted. */
  writeCommand(argv: readonly string[]): void {
    const command = ['kubelab', ...argv].map((a) => this.redact(a));
    writeRecorded(join(this.dir, 'command.json'), `${JSON.stringify({ command, recordedAt: new Date().toISOString() }, null, 2)}\n`);
  }

  /** <dir>/spec.yaml: the inventory spec the run planned with (commands/recording.ts plannedSpec), redacted. */
  writeSpec(spec: Record<string, unknown>): void {
    writeRecorded(join(this.dir, 'spec.yaml'), this.redact(stringify(spec, { lineWidth: 0 })));
  }

  fact(r: FactRecord): void {
    const { node, ...rest } = r;
    const entry: RecordedFactEntry = {
      ...(rest.phase !== undefined ? { phase: rest.phase } : {}),
      ...(rest.step !== undefined ? { step: rest.step } : {}),
      ...(rest.stage !== undefined ? { stage: rest.stage } : {}),
      ...(rest.for !== undefined ? { for: rest.for } : {}),
      key: rest.key,
      argv: rest.argv.map((a) => this.redact(a)),
      stdout: this.redact(rest.stdout),
      stderr: this.redact(rest.stderr),
      code: rest.code,
    };
    const where = JSON.stringify([node, r.for ?? '', r.phase ?? '', r.stage ?? '', r.key]);
    const answer = JSON.stringify([entry.argv, entry.stdout, entry.stderr, entry.code]);
    if (this.last.get(where) === answer) return;
    this.last.set(where, answer);
    let list = this.facts.get(node);
    if (!list) this.facts.set(node, (list = []));
    list.push(entry);
    writeRecorded(join(this.dir, 'facts', `${safeName(node)}.yaml`), stringify(list, { lineWidth: 0 }));
  }

  checkRun(runId: string): void {
    writeRecorded(join(this.apiDir, 'run.json'), `${JSON.stringify({ runId }, null, 2)}\n`);
  }

  recordSsh(pool: TransportPool): TransportPool {
    return {
      get: (node) => this.recordTransport(pool.get(node)),
      closeAll: () => pool.closeAll(),
    };
  }

  private recordTransport(t: Transport): Transport {
    const answer = (argv: readonly string[], opts: ExecOptions | undefined, r: ExecResult): void => {
      const secrets = opts?.secrets ?? [];
      const node = (this.ssh[t.name] ??= {});
      node[this.redact(argv.join(' '), secrets)] = {
        stdout: this.redact(r.stdout, secrets),
        stderr: this.redact(r.stderr, secrets),
        code: r.code,
      };
      writeRecorded(join(this.apiDir, 'ssh.json'), `${JSON.stringify(this.ssh, null, 2)}\n`);
    };
    return {
      name: t.name,
      connect: () => t.connect(),
      close: () => t.close(),
      put: (content, dest, opts) => t.put(content, dest, opts),
      ...(t.putFile ? { putFile: (local: string, dest: string, opts: PutOptions) => t.putFile!(local, dest, opts) } : {}),
      ...(t.forward ? { forward: (host: string, port: number) => t.forward!(host, port) } : {}),
      async exec(argv, opts) {
        const r = await t.exec(argv, opts);
        answer(argv, opts, r);
        return r;
      },
    };
  }
}
