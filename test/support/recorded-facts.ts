import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Fact, Facts } from '../../scripts/engine/types.js';

/** One recorded answer to a fact's command. */
export interface RecordedAnswer {
  /**
   * The exact command this answers (the fact's argv when it was recorded). When present, a fact asking with any
   * other argv fails the test; fixtures written by hand before recording existed have none (see
   * test/unit/phases/fixture-argv.test.ts, which counts them).
   */
  argv?: readonly string[];
  stdout?: string;
  /** stdout read from this file (relative to the fixture's folder), for long recorded outputs. */
  stdoutFile?: string;
  stderr?: string;
  code?: number;
}

/**
 * Facts answered from a fixture keyed by fact key; the fact's own parser runs on the recorded output, so parsers
 * are exercised too. A fact missing from the fixture fails the test with its key.
 */
export class RecordedFacts implements Facts {
  readonly asked = new Set<string>();
  constructor(
    private readonly answers: Readonly<Record<string, RecordedAnswer>>,
    private readonly baseDir = '.',
  ) {}

  async get<T>(fact: Fact<T>): Promise<T> {
    this.asked.add(fact.key);
    const a = this.answers[fact.key];
    if (!a) throw new Error(`fixture has no recorded answer for fact "${fact.key}" (argv: ${fact.argv.join(' ')})`);
    assertSameArgv(fact, a);
    const stdout = a.stdoutFile ? readFileSync(resolve(this.baseDir, a.stdoutFile), 'utf8') : (a.stdout ?? '');
    const result = { stdout, stderr: a.stderr ?? '', code: a.code ?? 0, durationMs: 0 };
    if (!(fact.okCodes ?? [0]).includes(result.code)) throw new Error(`fact ${fact.key}: exit ${result.code}`);
    return fact.parse(result);
  }

  clear(): void {}
}

/**
 * A recorded answer with argv answers only that command: a step asking the fact with another command (the fact's
 * script or arguments changed since the recording) fails, naming both.
 */
export function assertSameArgv(fact: Pick<Fact<unknown>, 'key' | 'argv'>, a: RecordedAnswer): void {
  if (a.argv === undefined) return;
  const same = a.argv.length === fact.argv.length && a.argv.every((arg, i) => arg === fact.argv[i]);
  if (!same) {
    throw new Error(
      `fact "${fact.key}" asks with a different command than the one recorded:\n` +
        `  asked:    ${JSON.stringify(fact.argv)}\n  recorded: ${JSON.stringify(a.argv)}`,
    );
  }
}
