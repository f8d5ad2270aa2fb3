/**
 * Several facts of one host read with one command (one SSH round-trip instead of one per fact): each fact's argv,
 * quoted for a POSIX shell, runs in turn in one `sh -c` script whose stdout and stderr carry a marker line (with a
 * random nonce) before and after each fact's output; the end marker carries the fact's exit code. Each fact then
 * gets its own ExecResult (exactly the bytes its command wrote) and parses it as it would alone (factAnswer).
 * No process is added per fact (under emulation each one costs a tenth of a second or more): the caller bounds
 * the whole command (ExecOptions.timeoutMs), and a batch cut short leaves the facts after the cut unanswered.
 */
import { randomBytes } from 'node:crypto';
import { shJoin } from '../transport/quote.js';
import type { ExecOptions, ExecResult, Transport } from '../transport/types.js';
import { factAnswer, type FactAnswer } from './facts.js';
import type { Fact } from './types.js';

export interface FactBatch {
  /** The one command that reads every fact. */
  argv: string[];
  /** Splits its result into each fact's answer, by fact key. */
  answers(result: ExecResult): Map<string, FactAnswer<unknown>>;
}

/** The facts (distinct keys: a fact given twice is read once) as one command, and the reader of its output. */
export function factBatch(facts: readonly Fact<unknown>[], nonce = randomBytes(8).toString('hex')): FactBatch {
  const unique = [...new Map(facts.map((f) => [f.key, f])).values()];
  const mark = `@@kubelab-batch-${nonce}`;
  const lines = unique.flatMap((f, i) => [
    `printf '\\n%s %s\\n' '${mark}' 'begin ${i}'; printf '\\n%s %s\\n' '${mark}' 'begin ${i}' >&2`,
    `${shJoin(f.argv)} </dev/null`,
    `printf '\\n%s %s %s\\n' '${mark}' 'end ${i}' "$?"; printf '\\n%s %s\\n' '${mark}' 'end ${i} -' >&2`,
  ]);
  return {
    argv: ['sh', '-c', lines.join('\n')],
    answers(result) {
      const out = new Map<string, FactAnswer<unknown>>();
      unique.forEach((fact, i) => {
        const stdout = section(result.stdout, mark, i);
        const stderr = section(result.stderr, mark, i);
        const code = /^(\d+)\n/.exec(result.stdout.slice(endAt(result.stdout, mark, i) + `\n${mark} end ${i} `.length))?.[1];
        const part: ExecResult = {
          stdout: stdout ?? '',
          stderr: stderr ?? (stdout === undefined ? result.stderr : ''),
          // no end marker: the batch stopped before this fact finished (cut output, timeout, lost connection)
          code: stdout === undefined || code === undefined ? (result.code === 0 ? -1 : result.code) : Number(code),
          durationMs: 0,
          ...(result.stdoutCut ? { stdoutCut: result.stdoutCut } : {}),
          ...(result.stdoutFile ? { stdoutFile: result.stdoutFile } : {}),
        };
        out.set(fact.key, factAnswer(fact, part));
      });
      return out;
    },
  };
}

function endAt(text: string, mark: string, i: number): number {
  return text.indexOf(`\n${mark} end ${i} `);
}

/** The bytes between fact i's begin and end markers; undefined when either is missing. */
function section(text: string, mark: string, i: number): string | undefined {
  const begin = `\n${mark} begin ${i}\n`;
  const start = text.indexOf(begin);
  const end = endAt(text, mark, i);
  if (start === -1 || end === -1 || end < start + begin.length) return undefined;
  return text.slice(start + begin.length, end);
}

/** Reads the facts on `transport` with one command; a transport failure rejects (every fact unanswered). */
export async function readFactBatch(
  transport: Transport,
  facts: readonly Fact<unknown>[],
  opts: Pick<ExecOptions, 'timeoutMs' | 'signal'> = {},
): Promise<Map<string, FactAnswer<unknown>>> {
  const batch = factBatch(facts);
  return batch.answers(await transport.exec(batch.argv, opts));
}
