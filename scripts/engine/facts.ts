import type { Transport } from '../transport/types.js';
import { StepError, tail } from './errors.js';
import type { Fact, Facts } from './types.js';

/** Facts read once per host per run; cleared when a change is applied to the host. */
export class FactCache implements Facts {
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(private readonly transport: Transport) {}

  get<T>(fact: Fact<T>): Promise<T> {
    let hit = this.cache.get(fact.key) as Promise<T> | undefined;
    if (!hit) {
      hit = this.read(fact);
      this.cache.set(fact.key, hit);
      // a failed read is not cached: the next step may try again
      hit.catch(() => this.cache.delete(fact.key));
    }
    return hit;
  }

  clear(): void {
    this.cache.clear();
  }

  private async read<T>(fact: Fact<T>): Promise<T> {
    const result = await this.transport.exec(fact.argv);
    const ok = fact.okCodes ?? [0];
    if (!ok.includes(result.code)) {
      throw new StepError(
        `reading fact ${fact.key}: exit ${result.code}${result.stderr ? `: ${tail(result.stderr)}` : ''}`,
      );
    }
    if (result.stdoutCut) {
      // never parse a cut output: only the last ExecOptions.maxOutputBytes (8 MiB) are kept in memory
      throw new StepError(
        `reading fact ${fact.key}: its output is too large to parse (${result.stdoutCut} bytes cut)` +
          (result.stdoutFile ? `; the whole output is in ${result.stdoutFile}` : ''),
      );
    }
    return fact.parse(result);
  }
}
