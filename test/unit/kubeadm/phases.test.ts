import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { StepError } from '../../../scripts/engine/errors.js';
import { hostContext } from '../../../scripts/engine/run.js';
import type { ClusterContext, HostContext, Phase } from '../../../scripts/engine/types.js';
import type { Inventory } from '../../../scripts/inventory/types.js';
import { BOOTSTRAP_TOKEN_PATTERN, generateBootstrapToken, JOIN_TOKEN_TTL, joinToken } from '../../../scripts/k8s/join-token.js';
import { remoteFactsKey } from '../../../scripts/engine/remote-facts.js';
import { controlPlanePhase } from '../../../scripts/phases/control-plane.js';
import { joinPhase } from '../../../scripts/phases/join.js';
import { caCertHash } from '../../../scripts/render/kubeadm.js';
import { INIT_CONFIG } from '../../../scripts/steps/kubeadm-init.js';
import { JOIN_CONFIG, kubeadmJoinStep } from '../../../scripts/steps/kubeadm-join.js';
import { startedAt, unfinishedPath } from '../../../scripts/steps/kubeadm-unfinished.js';
import { TransportError, type ExecOptions, type ExecResult, type PutOptions } from '../../../scripts/transport/types.js';
import { testInventory } from '../../support/inventory.js';
import { RecordingPool } from '../../support/plan-fixture.js';
import { testCluster } from '../../support/cluster.js';
import { RecordedFacts, type RecordedAnswer } from '../../support/recorded-facts.js';
import { RecordingTransport } from '../../support/recording-transport.js';

const fixtures = fileURLToPath(new URL('../../../../test/fixtures/plan/', import.meta.url));
const CA_PEM = readFileSync(`${fixtures}join/ca.crt`, 'utf8');

// The fixtures in test/fixtures/plan/{control-plane,join}/ run with every other phase's in
// test/unit/phases/plan-fixtures.test.ts; the cases below need more than facts in, changes out.

/** Records what RecordingTransport does plus every option (secrets, stdin, timeouts); answers through a hook. */
class OptsTransport extends RecordingTransport {
  readonly calls: { argv: readonly string[]; opts: ExecOptions }[] = [];
  readonly putOpts = new Map<string, PutOptions>();
  answer: (argv: readonly string[]) => ExecResult | undefined = () => undefined;
  override async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    await super.exec(argv, opts);
    this.calls.push({ argv, opts });
    return this.answer(argv) ?? { stdout: '', stderr: '', code: 0, durationMs: 0 };
  }
  override async put(content: string | Buffer, dest: string, opts: PutOptions): Promise<void> {
    await super.put(content, dest, opts);
    this.putOpts.set(dest, opts);
  }
}

const fail = (stderr: string, code = 1): ExecResult => ({ stdout: '', stderr, code, durationMs: 0 });

function workerFacts(): Record<string, RecordedAnswer> {
  return { 'kubeadm-files': { stdout: '' }, 'kubeadm-version': { stdout: 'v1.35.2\n' } };
}

/** A cluster whose control plane answers `cat ca.crt` (as a recorded fact) and records the rest. */
function joinCluster(inv: Inventory, pool: RecordingPool, mode: 'plan' | 'apply' = 'apply'): ClusterContext {
  const cpFacts = new RecordedFacts({ 'file:/etc/kubernetes/pki/ca.crt': { stdout: CA_PEM } });
  return testCluster(inv, mode, pool, new Map<string, unknown>([[remoteFactsKey('master'), cpFacts]]));
}

function hostOf(cluster: ClusterContext, pool: RecordingPool, name: string): HostContext {
  const node = cluster.inv.spec.nodes.find((n) => n.name === name)!;
  return hostContext(cluster, node, pool.get(node), new RecordedFacts(workerFacts()));
}

async function applyJoin(host: HostContext): Promise<void> {
  const changes = await kubeadmJoinStep.plan(host);
  assert.equal(changes.length, 1);
  for (const c of changes) await c.apply(host);
}

describe('joining a fresh worker', () => {
  it('uploads a 0600 JoinConfiguration with the token and CA hash, joins, removes it; the token is only ever a secret', async () => {
    const inv = testInventory();
    const pool = new RecordingPool((n) => new OptsTransport(n));
    const cluster = joinCluster(inv, pool);
    await applyJoin(hostOf(cluster, pool, 'worker1'));

    const worker = pool.get({ name: 'worker1' }) as OptsTransport;
    const master = pool.get({ name: 'master' }) as OptsTransport;
    const upload = worker.puts.get(JOIN_CONFIG);
    assert.ok(upload, 'the JoinConfiguration was uploaded');
    assert.equal(upload.mode, 0o600);
    const doc = parse(upload.content) as { kind: string; discovery: { bootstrapToken: { token: string; caCertHashes: string[]; apiServerEndpoint: string } } };
    assert.equal(doc.kind, 'JoinConfiguration');
    const { token, caCertHashes, apiServerEndpoint } = doc.discovery.bootstrapToken;
    assert.match(token, BOOTSTRAP_TOKEN_PATTERN);
    assert.deepEqual(caCertHashes, [caCertHash(CA_PEM)]);
    assert.equal(apiServerEndpoint, 'master:6443');

    // the record of an unfinished join lives exactly as long as kubeadm join runs, and holds no token
    const record = unfinishedPath('join');
    assert.deepEqual(worker.commands, [`put ${JOIN_CONFIG} 600`, `put ${record} 600`, `kubeadm join --config ${JOIN_CONFIG}`, `rm -f -- ${record}`, `rm -f -- ${JOIN_CONFIG}`]);
    assert.deepEqual(Object.keys(JSON.parse(worker.puts.get(record)!.content.toString()) as object), ['command', 'startedAt']);
    assert.deepEqual(worker.putOpts.get(JOIN_CONFIG)?.secrets, [token]);
    const joinCall = worker.calls.find((c) => c.argv[0] === 'kubeadm')!;
    assert.deepEqual(joinCall.opts.secrets, [token]);
    assert.equal(joinCall.opts.timeoutMs, 10 * 60_000);

    assert.equal(master.calls.length, 1, 'one command on the control plane: the token creation');
    const create = master.calls[0]!;
    assert.match(create.argv.join(' '), /kubeadm token create "\$t" --ttl "\$1"/);
    assert.ok(create.argv.includes(JOIN_TOKEN_TTL));
    assert.equal(create.opts.stdin, `${token}\n`);
    assert.deepEqual(create.opts.secrets, [token]);

    const secretPart = token.split('.')[1]!;
    for (const line of [...worker.commands, ...master.commands]) assert.ok(!line.includes(secretPart), `token on a command line: ${line}`);
  });

  it('creates one token for all the workers of a run', async () => {
    const inv = testInventory({
      nodes: [
        { name: 'master', role: 'control-plane', address: '192.168.56.10' },
        { name: 'worker1', role: 'worker', address: '192.168.56.11' },
        { name: 'worker2', role: 'worker', address: '192.168.56.12' },
      ],
    });
    const pool = new RecordingPool((n) => new OptsTransport(n));
    const cluster = joinCluster(inv, pool);
    await Promise.all([applyJoin(hostOf(cluster, pool, 'worker1')), applyJoin(hostOf(cluster, pool, 'worker2'))]);
    assert.equal(pool.get({ name: 'master' }).commands.length, 1);
    const tokens = ['worker1', 'worker2'].map(
      (w) => (parse(pool.get({ name: w }).puts.get(JOIN_CONFIG)!.content) as { discovery: { bootstrapToken: { token: string } } }).discovery.bootstrapToken.token,
    );
    assert.equal(tokens[0], tokens[1]);
    assert.match((parse(pool.get({ name: 'worker2' }).puts.get(JOIN_CONFIG)!.content) as { nodeRegistration: { kubeletExtraArgs: { value: string }[] } }).nodeRegistration.kubeletExtraArgs[0]!.value, /^192\.168\.56\.12$/);
  });

  it('a failed join is an error saying the next up starts it over, redacts the token, still removes the file and keeps the record of an unfinished join', async () => {
    const inv = testInventory();
    const pool = new RecordingPool((n) => {
      const t = new OptsTransport(n);
      if (n === 'worker1') {
        t.answer = (argv) => {
          if (argv[0] !== 'kubeadm') return undefined;
          const token = (parse(t.puts.get(JOIN_CONFIG)!.content) as { discovery: { bootstrapToken: { token: string } } }).discovery.bootstrapToken.token;
          return fail(`error execution phase preflight: couldn't validate the identity of the API Server: token ${token} rejected`);
        };
      }
      return t;
    });
    const host = hostOf(joinCluster(inv, pool), pool, 'worker1');
    const [change] = await kubeadmJoinStep.plan(host);
    await assert.rejects(change!.apply(host), (err: StepError) => {
      assert.ok(err instanceof StepError);
      assert.match(err.message, /kubeadm join on worker1 exited 1: .*token <redacted> rejected/);
      assert.match(err.hint ?? '', /once its cause is fixed, kubelab up resets worker1 and joins it again/);
      return true;
    });
    const worker = pool.get({ name: 'worker1' });
    assert.equal(worker.commands.at(-1), `rm -f -- ${JOIN_CONFIG}`);
    assert.match(worker.puts.get(unfinishedPath('join'))!.content.toString(), /"startedAt":"\d{4}-/);
    assert.ok(!worker.commands.includes(`rm -f -- ${unfinishedPath('join')}`), 'the record stays: the next up resets and joins again');
  });

  it('a control plane that cannot be reached is an error naming it, not the worker taken for unreachable', async () => {
    const inv = testInventory();
    const pool = new RecordingPool((n) => {
      const t = new OptsTransport(n);
      if (n === 'master') {
        t.exec = async () => {
          throw new TransportError('unreachable', 'master', 'cannot reach master:22: ECONNREFUSED');
        };
      }
      return t;
    });
    const host = hostOf(joinCluster(inv, pool), pool, 'worker1');
    const [change] = await kubeadmJoinStep.plan(host);
    await assert.rejects(change!.apply(host), (err: Error) => err instanceof StepError && /on master: cannot reach master:22/.test(err.message));
    assert.ok(!pool.get({ name: 'worker1' }).commands.some((c) => c.startsWith('kubeadm')), 'no join without a token');
  });

  it('asks nothing of the control plane while planning a fresh worker', async () => {
    const inv = testInventory();
    const pool = new RecordingPool();
    const cluster: ClusterContext = testCluster(inv, 'plan', pool);
    const changes = await kubeadmJoinStep.plan(hostOf(cluster, pool, 'worker1'));
    assert.equal(changes.length, 1);
    assert.deepEqual(pool.commands(), {});
    assert.equal(cluster.state.size, 0);
  });
});

describe('bootstrap tokens', () => {
  it('are generated in kubeadm format, and differ', () => {
    const tokens = new Set(Array.from({ length: 50 }, generateBootstrapToken));
    assert.equal(tokens.size, 50);
    for (const t of tokens) assert.match(t, BOOTSTRAP_TOKEN_PATTERN);
  });

  it('are replaced when too close to expiry for another join, reused before', async () => {
    const inv = testInventory();
    const pool = new RecordingPool();
    const host = hostOf(joinCluster(inv, pool), pool, 'worker1');
    let now = 0;
    const first = await joinToken(host, () => now);
    now = 10 * 60_000;
    assert.equal(await joinToken(host, () => now), first);
    now = 20 * 60_000;
    const second = await joinToken(host, () => now);
    assert.notEqual(second, first);
    assert.equal(pool.get({ name: 'master' }).commands.length, 2);
  });

  it('a failed creation is not kept: the next worker tries again', async () => {
    const inv = testInventory();
    let attempts = 0;
    const pool = new RecordingPool((n) => {
      const t = new OptsTransport(n);
      t.answer = () => (++attempts === 1 ? fail('error: timed out waiting for the condition') : undefined);
      return t;
    });
    const host = hostOf(joinCluster(inv, pool), pool, 'worker1');
    await assert.rejects(joinToken(host), /kubeadm token create on master exited 1: error: timed out/);
    assert.match(await joinToken(host), BOOTSTRAP_TOKEN_PATTERN);
  });
});

describe('control-plane phase', () => {
  function phaseHosts(phase: Phase, inv: Inventory): string[] {
    return (phase.hosts?.(inv) ?? inv.spec.nodes).map((n) => n.name);
  }

  it('runs on the control-plane nodes; join on the workers, after the control plane', () => {
    const inv = testInventory();
    assert.deepEqual(phaseHosts(controlPlanePhase, inv), ['master']);
    assert.deepEqual(phaseHosts(joinPhase, inv), ['worker1']);
    assert.deepEqual(joinPhase.dependsOn?.(inv.spec.nodes[1]!, inv), ['master']);
  });

  it('refuses a second control-plane node plainly (HA join not implemented)', async () => {
    const inv = testInventory({
      kubernetes: { controlPlaneEndpoint: 'k8s-api.lab:6443' },
      nodes: [
        { name: 'cp1', role: 'control-plane', address: '192.168.56.10' },
        { name: 'cp2', role: 'control-plane', address: '192.168.56.11' },
      ],
    });
    const cp2 = inv.spec.nodes[1]!;
    const steps = controlPlanePhase.steps.filter((s) => s.appliesTo?.(cp2, inv) ?? true);
    assert.deepEqual(steps.map((s) => s.name), ['control-plane-join', 'kubelet-node-ip']);
    const host = hostContext(testCluster(inv, 'plan', new RecordingPool()), cp2, new RecordingTransport('cp2'), new RecordedFacts({}));
    await assert.rejects(steps[0]!.plan(host), /cp2: joining a second control-plane node is not supported yet/);
  });

  it('a failed kubeadm init keeps the record of an unfinished init and says the next up starts it over', async () => {
    const inv = testInventory();
    const master = inv.spec.nodes[0]!;
    const t = new OptsTransport('master');
    t.answer = (argv) => (argv[1] === 'init' ? fail('[ERROR CRI]: container runtime is not running') : undefined);
    const facts = new RecordedFacts({
      'kubeadm-files': { stdout: '' },
      'kubeadm-version': { stdout: 'v1.35.2\n' },
      [`file:${INIT_CONFIG}`]: { code: 3 },
    });
    const host = hostContext(testCluster(inv, 'apply', new RecordingPool()), master, t, facts);
    const changes = await controlPlanePhase.steps.find((s) => s.name === 'kubeadm-init')!.plan(host);
    await assert.rejects(
      (async () => {
        for (const c of changes) await c.apply(host);
      })(),
      (err: StepError) => err instanceof StepError && /kubeadm init failed on master/.test(err.message) && /kubelab up resets master and runs kubeadm init again/.test(err.hint!),
    );
    assert.equal(t.putOpts.get(unfinishedPath('init'))?.mode, 0o600);
    assert.ok(!t.commands.includes(`rm -f -- ${unfinishedPath('init')}`), 'the record stays after a failed init');
    const init = t.calls.find((c) => c.argv[1] === 'init')!;
    assert.equal(init.opts.timeoutMs, 15 * 60_000);
    assert.equal(t.putOpts.get(INIT_CONFIG)?.mode, 0o600);
  });
});

describe('the record of an unfinished kubeadm run', () => {
  it('says when the run started, and is still a record when the interrupt cut it short', () => {
    assert.equal(startedAt('{"command":"kubeadm init","startedAt":"2026-12-01T15:02:11.000Z"}\n'), 'started 2026-12-01T15:02:11.000Z');
    assert.equal(startedAt('{"command":"kubeadm in'), 'started at an unknown time');
    assert.equal(startedAt(''), 'started at an unknown time');
  });
});
