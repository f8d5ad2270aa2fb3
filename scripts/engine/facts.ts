import type { ExecResult, Transport } from '../transport/types.js';
import { StepError, tail } from './errors.js';
import type { Fact, FactRecord, Facts, RunRecorder } from './types.js';

/** A fact's raw answer and what its parser made of it (or why the answer is not valid). */
export interface FactAnswer<T> {
  readonly result: ExecResult;
  readonly value?: T;
  readonly error?: Error;
}

/** Facts read once per host per run; cleared when a change is applied to the host. */
export class FactCache implements Facts {
  private readonly cache = new Map<string, Promise<FactAnswer<unknown>>>();

  constructor(private readonly transport: Transport) {}

  async get<T>(fact: Fact<T>): Promise<T> {
    const a = await this.answer(fact);
    if (a.error) throw a.error;
    return a.value as T;
  }

  /** The cached answer (read on first use); a transport failure rejects. */
  answer<T>(fact: Fact<T>): Promise<FactAnswer<T>> {
    let hit = this.cache.get(fact.key) as Promise<FactAnswer<T>> | undefined;
    if (!hit) {
      const read = this.read(fact);
      hit = read;
      this.cache.set(fact.key, read);
      // a failed read is not cached: the next step may try again
      const forget = (): void => {
        if (this.cache.get(fact.key) === read) this.cache.delete(fact.key);
      };
      read.then((a) => a.error && forget(), forget);
    }
    return hit;
  }

  clear(): void {
    this.cache.clear();
  }

  private async read<T>(fact: Fact<T>): Promise<FactAnswer<T>> {
    return factAnswer(fact, await this.transport.exec(fact.argv));
  }
}

/** What a fact makes of its command's result: its value, or why the answer is not valid (exit code, cut output, parser). */
export function factAnswer<T>(fact: Fact<T>, result: ExecResult): FactAnswer<T> {
  const ok = fact.okCodes ?? [0];
  if (!ok.includes(result.code)) {
    const error = new StepError(`reading fact ${fact.key}: exit ${result.code}${result.stderr ? `: ${tail(result.stderr)}` : ''}`);
    return { result, error };
  }
  if (result.stdoutCut) {
    // never parse a cut output: only the last ExecOptions.maxOutputBytes (8 MiB) are kept in memory
    const error = new StepError(
      `reading fact ${fact.key}: its output is too large to parse (${result.stdoutCut} bytes cut)` +
        (result.stdoutFile ? `; the whole output is in ${result.stdoutFile}` : ''),
    );
    return { result, error };
  }
  try {
    return { result, value: fact.parse(result) };
  } catch (err) {
    return { result, error: err as Error };
  }
}

/** Where a fact was asked, as record mode writes it next to the answer. */
export type FactScope = Pick<FactRecord, 'node' | 'for' | 'phase' | 'step' | 'stage'>;

/** Record mode: a FactCache whose every answer (valid or not) is handed to the run's recorder with its scope. */
export class RecordingFacts implements Facts {
  constructor(
    private readonly cache: FactCache,
    private readonly recorder: RunRecorder,
    private readonly scope: FactScope,
  ) {}

  async get<T>(fact: Fact<T>): Promise<T> {
    const a = await this.cache.answer(fact);
    const { stdout, stderr, code } = a.result;
    this.recorder.fact({ ...this.scope, key: fact.key, argv: fact.argv, stdout, stderr, code });
    if (a.error) throw a.error;
    return a.value as T;
  }

  clear(): void {
    this.cache.clear();
  }
}
