/** engine/batch-facts: several facts in one command give each fact exactly what it gets when read alone (real sh). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { factBatch, readFactBatch } from '../../../scripts/engine/batch-facts.js';
import { FactCache } from '../../../scripts/engine/facts.js';
import type { Fact } from '../../../scripts/engine/types.js';
import type { ExecOptions, ExecResult, Transport } from '../../../scripts/transport/types.js';
import { LocalTransport } from '../../support/local-transport.js';

const raw = (key: string, script: string, okCodes = [0, 1, 3]): Fact<{ stdout: string; stderr: string; code: number }> => ({
  key,
  argv: ['sh', '-c', script],
  okCodes,
  parse: (r) => ({ stdout: r.stdout, stderr: r.stderr, code: r.code }),
});

/** Counts the commands a transport runs. */
class Counting implements Transport {
  readonly name = 'counting';
  commands: string[][] = [];
  private readonly local = new LocalTransport();
  async connect(): Promise<void> {}
  async close(): Promise<void> {}
  async put(): Promise<void> {
    throw new Error('no uploads');
  }
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
    this.commands.push([...argv]);
    return this.local.exec(argv, opts);
  }
}

describe('batched facts', () => {
  const facts = [
    raw('no-newline', "printf 'abc'"),
    raw('two-lines', "printf 'a\\nb\\n'; echo warn >&2"),
    raw('empty', 'true'),
    raw('exit3', 'echo gone >&2; exit 3'),
    raw('quotes', `printf '%s\\n' "it's \\"quoted\\" \\$HOME"`),
    raw('blank-lines', "printf '\\n\\n'"),
    ...Array.from({ length: 10 }, (_, i) => raw(`n${i}`, `echo ${i}`)),
  ];

  it('answers every fact as it is answered alone, in one command', async () => {
    const t = new Counting();
    const batch = await readFactBatch(t, facts);
    assert.equal(t.commands.length, 1, 'one command for all facts');
    const alone = new FactCache(new LocalTransport());
    for (const f of facts) {
      const a = batch.get(f.key);
      assert.ok(a && !a.error, `${f.key}: ${a?.error?.message}`);
      assert.deepEqual(a.value, await alone.get(f), f.key);
    }
    // "end 1" must not be taken for "end 10"
    assert.deepEqual(batch.get('n1')!.value, { stdout: '1\n', stderr: '', code: 0 });
  });

  it('an exit code outside okCodes is the fact error, and the other facts are still answered', async () => {
    const batch = await readFactBatch(new LocalTransport(), [raw('bad', 'echo nope >&2; exit 5'), raw('good', 'echo ok')]);
    assert.match(batch.get('bad')!.error!.message, /exit 5: nope/);
    assert.deepEqual(batch.get('good')!.value, { stdout: 'ok\n', stderr: '', code: 0 });
  });

  it('a fact given twice is read once', () => {
    const b = factBatch([facts[0]!, facts[0]!, facts[1]!], 'x');
    assert.equal(b.argv[2]!.match(/'begin \d+'/g)!.length, 2 * 2, 'two facts: a begin marker each on stdout and stderr');
  });

  it('a batch cut short leaves the unfinished facts unanswered (never parsed from a partial output)', () => {
    const b = factBatch([facts[0]!, facts[1]!], 'n0nce');
    const cut: ExecResult = { stdout: "\n@@kubelab-batch-n0nce begin 0\nabc\n@@kubelab-batch-n0nce end 0 0\n\n@@kubelab-batch-n0nce begin 1\na\n", stderr: '', code: 143, durationMs: 1 };
    const answers = b.answers(cut);
    assert.deepEqual(answers.get('no-newline')!.value, { stdout: 'abc', stderr: '', code: 0 });
    assert.match(answers.get('two-lines')!.error!.message, /exit 143/);
  });
});
