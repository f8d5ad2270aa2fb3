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

/**
 * Why a command's stdout must not be parsed: it was cut (only the last ExecOptions.maxOutputBytes, 8 MiB by
 * default, are kept in memory), or undefined when it is whole. Every parser of remote output asks this first:
 * facts (factAnswer), and steps reading a command themselves (`what` names the read in the message).
 */
export function cutOutput(what: string, result: ExecResult): StepError | undefined {
  if (!result.stdoutCut) return undefined;
  return new StepError(
    `${what}: its output is too large to parse (${result.stdoutCut} bytes cut)` + (result.stdoutFile ? `; the whole output is in ${result.stdoutFile}` : ''),
  );
}

/**
 * A fact read afresh, not from the run's cache (a step checking what its change just did); an answer that is not
 * valid (exit code, cut output, parser) is thrown, as FactCache.get throws it.
 */
export async function readFresh<T>(transport: Transport, fact: Fact<T>): Promise<T> {
  const a = factAnswer(fact, await transport.exec(fact.argv));
  if (a.error) throw a.error;
  return a.value as T;
}

/** What a fact makes of its command's result: its value, or why the answer is not valid (exit code, cut output, parser). */
export function factAnswer<T>(fact: Fact<T>, result: ExecResult): FactAnswer<T> {
  const ok = fact.okCodes ?? [0];
  if (!ok.includes(result.code)) {
    const error = new StepError(`reading fact ${fact.key}: exit ${result.code}${result.stderr ? `: ${tail(result.stderr)}` : ''}`);
    return { result, error };
  }
  const cut = cutOutput(`reading fact ${fact.key}`, result);
  if (cut) return { result, error: cut };
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
