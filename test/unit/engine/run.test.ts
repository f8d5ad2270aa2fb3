import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPhases, succeeded } from '../../../scripts/engine/run.js';
import type { Phase, Step, TransportPool } from '../../../scripts/engine/types.js';
import { remoteFact } from '../../../scripts/engine/remote-facts.js';
import { hostname } from '../../../scripts/facts/hostname.js';
import { hostnameStep } from '../../../scripts/steps/hostname.js';
import { StepError } from '../../../scripts/engine/errors.js';
import { osPhase } from '../../../scripts/phases/os.js';
import { CollectingReporter } from '../../support/collect.js';
import { testInventory } from '../../support/inventory.js';
import { SimHost } from '../../support/sim-host.js';
import { testCluster, TEST_SETTINGS } from '../../support/cluster.js';

function pool(hosts: Map<string, SimHost>): TransportPool {
  return { get: (n) => hosts.get(n.name)!, closeAll: async () => {} };
}

function sims(): Map<string, SimHost> {
  return new Map([
    ['master', new SimHost('master')],
    ['worker1', new SimHost('worker1')],
  ]);
}

describe('engine: runPhases', () => {
  const inv = testInventory();

  it('applies the os phase, then a second run changes nothing and runs no changing command', async () => {
    const hosts = sims();
    const first = await runPhases({ inv, phases: [osPhase], mode: 'apply', reporter: new CollectingReporter(), transports: pool(hosts), concurrency: 10, logDir: '/x', settings: TEST_SETTINGS });
    assert.equal(first.failed, 0);
    assert.ok(first.changed >= 5, `first run changed ${first.changed}`);
    const m = hosts.get('master')!;
    assert.equal(m.hostname, 'master');
    assert.deepEqual(m.swaps, []);
    assert.ok(m.masked.has('swapfile.swap'));
    assert.equal(m.sysctl.get('net.bridge.bridge-nf-call-iptables'), '1');
    assert.match(m.files.get('/etc/hosts')!, /192\.168\.56\.11 worker1/);
    assert.match(m.files.get('/etc/fstab')!, /^#kubelab-swap-off# \/swapfile/m);

    for (const h of hosts.values()) {
      h.commands = [];
      h.puts = [];
    }
    const second = await runPhases({ inv, phases: [osPhase], mode: 'apply', reporter: new CollectingReporter(), transports: pool(hosts), concurrency: 10, logDir: '/x', settings: TEST_SETTINGS });
    assert.equal(second.changed, 0);
    assert.equal(second.ok, 2 * osPhase.steps.length);
    assert.ok(succeeded(second));
    for (const h of hosts.values()) {
      assert.deepEqual(h.puts, []);
      assert.deepEqual(h.commands.filter((c) => /^(swapoff|modprobe|sysctl -p|hostname \S|systemctl mask)/.test(c)), []);
    }
  });

  it('a change applied to a node clears what steps on other nodes read about it (remote facts)', async () => {
    const hosts = sims();
    const master = inv.spec.nodes.find((n) => n.name === 'master')!;
    const seen: string[] = [];
    const readMaster: Step = {
      name: 'read-master-hostname',
      appliesTo: (n) => n.name === 'worker1',
      plan: async (h) => (seen.push(await remoteFact(h, master, hostname)), []),
    };
    const phases: Phase[] = [
      { name: 'before', title: 'before', steps: [readMaster] },
      { name: 'rename', title: 'rename', hosts: () => [master], steps: [hostnameStep] },
      { name: 'after', title: 'after', steps: [readMaster] },
    ];
    const s = await runPhases({ inv, phases, mode: 'apply', reporter: new CollectingReporter(), transports: pool(hosts), concurrency: 10, logDir: '/x', settings: TEST_SETTINGS });
    assert.equal(s.failed, 0);
    assert.deepEqual(seen, ['debian', 'master']);
  });

  it('plan mode reports changes and changes nothing', async () => {
    const hosts = sims();
    const rep = new CollectingReporter();
    const s = await runPhases({ inv, phases: [osPhase], mode: 'plan', reporter: rep, transports: pool(hosts), concurrency: 10, logDir: '/x', settings: TEST_SETTINGS });
    assert.ok(s.changed > 0);
    for (const h of hosts.values()) {
      assert.deepEqual(h.puts, []);
      assert.equal(h.hostname, 'debian');
      assert.deepEqual(h.swaps, ['/swapfile']);
    }
    const hostname = rep.steps().find((e) => e.host === 'master' && e.step === 'hostname')!;
    assert.deepEqual(hostname.changes, ['rewrite /etc/hostname', 'set the running hostname to master']);
  });

  it('an unreachable host is counted apart, its steps skipped, the other host still done', async () => {
    const hosts = sims();
    hosts.get('worker1')!.unreachable = true;
    const rep = new CollectingReporter();
    const s = await runPhases({ inv, phases: [osPhase, osPhase], mode: 'apply', reporter: rep, transports: pool(hosts), concurrency: 10, logDir: '/x', settings: TEST_SETTINGS });
    assert.equal(s.unreachable, 1);
    assert.equal(s.failed, 0);
    assert.equal(s.hosts.worker1!.unreachable, true);
    assert.equal(s.hosts.master!.unreachable, false);
    assert.equal(hosts.get('master')!.hostname, 'master');
    // the second phase is skipped on the unreachable host with the reason, without another connection attempt
    assert.equal(s.hosts.worker1!.skipped, osPhase.steps.length);
    assert.equal(hosts.get('worker1')!.connects, 1);
    assert.match(rep.steps().find((e) => e.host === 'worker1')!.reason!, /unreachable/);
    assert.ok(!succeeded(s));
  });

  it('a failed step skips the rest of that host and what depends on it, not the others', async () => {
    const failing: Phase = {
      name: 'boom',
      title: 'fails on master',
      steps: [
        {
          name: 'explode',
          async plan(host) {
            if (host.node.name === 'master') throw new StepError('master exploded', 'try again');
            return [];
          },
        },
        { name: 'after', plan: async () => [] },
      ],
    };
    const dependent: Phase = {
      name: 'needs-master',
      title: 'depends on the control plane',
      dependsOn: () => ['master'],
      steps: [{ name: 'x', plan: async () => [] }],
    };
    const rep = new CollectingReporter();
    const s = await runPhases({ inv, phases: [failing, dependent], mode: 'apply', reporter: rep, transports: pool(sims()), concurrency: 1, logDir: '/x', settings: TEST_SETTINGS });
    assert.equal(s.failed, 1);
    assert.deepEqual(s.hosts.master, { ok: 0, changed: 0, failed: 1, skipped: 2, unreachable: false, reached: true });
    assert.deepEqual(s.hosts.worker1, { ok: 2, changed: 0, failed: 0, skipped: 1, unreachable: false, reached: true });
    const failed = rep.steps().find((e) => e.outcome === 'failed')!;
    assert.equal(failed.error, 'master exploded');
    assert.equal(failed.hint, 'try again');
    const skippedWorker = rep.steps().find((e) => e.host === 'worker1' && e.outcome === 'skipped')!;
    assert.match(skippedWorker.reason!, /depends on master failed at boom\/explode/);
  });

  it('an unsupported OS stops that host before any change', async () => {
    const hosts = sims();
    hosts.set('worker1', new SimHost('worker1', 'ID=centos\nVERSION_ID="9"\nPRETTY_NAME="CentOS Stream 9"\n'));
    const rep = new CollectingReporter();
    const s = await runPhases({ inv, phases: [osPhase], mode: 'apply', reporter: rep, transports: pool(hosts), concurrency: 10, logDir: '/x', settings: TEST_SETTINGS });
    assert.equal(s.hosts.worker1!.failed, 1);
    assert.equal(s.hosts.worker1!.skipped, osPhase.steps.length - 1);
    assert.deepEqual(hosts.get('worker1')!.puts, []);
    assert.equal(hosts.get('worker1')!.hostname, 'debian');
    assert.equal(s.hosts.master!.failed, 0);
    assert.match(rep.steps().find((e) => e.outcome === 'failed')!.error!, /CentOS Stream 9 .* is not supported/);
  });

  it('runs hosts in parallel up to the concurrency limit', async () => {
    let inFlight = 0;
    let peak = 0;
    const slow: Phase = {
      name: 'slow',
      title: 'slow',
      steps: [
        {
          name: 'wait',
          async plan() {
            peak = Math.max(peak, ++inFlight);
            await new Promise((r) => setTimeout(r, 20));
            inFlight--;
            return [];
          },
        },
      ],
    };
    const many = testInventory({
      nodes: Array.from({ length: 6 }, (_, i) => ({ name: `n${i}`, role: i ? 'worker' : 'control-plane', address: `192.168.56.${20 + i}` })),
    });
    const hosts = new Map(many.spec.nodes.map((n) => [n.name, new SimHost(n.name)]));
    await runPhases({ inv: many, phases: [slow], mode: 'apply', reporter: new CollectingReporter(), transports: pool(hosts), concurrency: 3, logDir: '/x', settings: TEST_SETTINGS });
    assert.equal(peak, 3);
  });

  it('an interrupt: the running step ends, no later step or phase starts, the summary says interrupted', async () => {
    const ac = new AbortController();
    const ran: string[] = [];
    const step = (name: string, run?: () => void): Step => ({
      name,
      async plan(h) {
        ran.push(`${h.node.name}:${name}`);
        run?.();
        return [];
      },
    });
    const phases: Phase[] = [
      { name: 'one', title: 'one', steps: [step('a'), step('b', () => ac.abort('SIGINT')), step('c')] },
      { name: 'two', title: 'two', steps: [step('d')] },
    ];
    const rep = new CollectingReporter();
    const s = await runPhases({ inv, phases, mode: 'apply', reporter: rep, transports: pool(sims()), concurrency: 1, logDir: '/x', settings: TEST_SETTINGS, signal: ac.signal });
    assert.deepEqual(ran, ['master:a', 'master:b']);
    assert.deepEqual(
      rep.steps().map((e) => `${e.host}:${e.step} ${e.outcome}${e.reason ? ` ${e.reason}` : ''}`),
      ['master:a ok', 'master:b ok', 'master:c skipped interrupted (SIGINT)', 'worker1:a skipped interrupted (SIGINT)', 'worker1:b skipped interrupted (SIGINT)', 'worker1:c skipped interrupted (SIGINT)'],
    );
    assert.ok(!rep.events.some((e) => e.type === 'phase-start' && e.phase === 'two'), 'phase two not started');
    assert.equal(s.interrupted, 'interrupted (SIGINT)');
    // worker1 was never tried: neither reached nor unreachable (its recap row says "-")
    assert.deepEqual([s.hosts.master!.reached, s.hosts.worker1!.reached, s.hosts.worker1!.unreachable], [true, false, false]);
    assert.equal(rep.events.at(-1), s);
  });

  it('an error escaping the phases (a bug, not a step failure): the run still ends with the recap of what was done, then rejects', async () => {
    const step = (name: string): Step => ({ name, plan: async () => [] });
    const phases: Phase[] = [
      { name: 'one', title: 'one', steps: [step('a'), step('b')] },
      // a phase whose host list throws: the engine cannot catch it per host
      { name: 'two', title: 'two', hosts: () => { throw new TypeError('hosts of two: boom\nsecond line'); }, steps: [step('c')] },
    ];
    const rep = new CollectingReporter();
    let cleaned = false;
    const cleanupPhase: Phase = { name: 'zero', title: 'zero', steps: [{ name: 'z', plan: async (h) => (h.cluster.onClose(async () => void (cleaned = true)), []) }] };
    await assert.rejects(
      runPhases({ inv, phases: [cleanupPhase, ...phases], mode: 'plan', reporter: rep, transports: pool(sims()), concurrency: 2, logDir: '/x', settings: TEST_SETTINGS }),
      /hosts of two: boom/,
    );
    const last = rep.events.at(-1)!;
    assert.equal(last.type, 'summary');
    assert.ok(!('passed' in last));
    assert.deepEqual(
      { ...last },
      {
        type: 'summary', ok: 6, changed: 0, failed: 0, skipped: 0, unreachable: 0, error: 'hosts of two: boom',
        hosts: { master: { ok: 3, changed: 0, failed: 0, skipped: 0, unreachable: false, reached: true }, worker1: { ok: 3, changed: 0, failed: 0, skipped: 0, unreachable: false, reached: true } },
      },
    );
    assert.equal(rep.events.filter((e) => e.type === 'summary').length, 1, 'one summary');
    assert.ok(cleaned, 'the run\'s cleanups ran');
  });
});

describe('engine: hostContext.run', () => {
  it('a failing command is a StepError whose message never carries the secrets it was given', async () => {
    const { hostContext } = await import('../../../scripts/engine/run.js');
    const inv = testInventory();
    const transport = new SimHost('master');
    transport.exec = async () => ({ stdout: '', stderr: 'bad token abcdef.0123456789abcdef\n', code: 1, durationMs: 0 });
    const host = hostContext(testCluster(inv, 'apply', pool(new Map())), inv.spec.nodes[0]!, transport, {
      get: async () => undefined as never,
      clear: () => {},
    });
    await assert.rejects(host.run(['kubeadm', 'token', 'create'], { secrets: ['abcdef.0123456789abcdef'] }), (err: Error) => {
      assert.ok(err instanceof StepError);
      assert.match(err.message, /^kubeadm token create exited 1: bad token <redacted>$/);
      return true;
    });
  });
});

describe('phase order', () => {
  it('up runs os, runtime, packages, nfs, control-plane, join, network, addons, then the smoke checks on the control plane', async () => {
    const { PHASES } = await import('../../../scripts/phases/index.js');
    assert.deepEqual(PHASES.map((p) => p.name), ['os', 'runtime', 'packages', 'nfs', 'nfs-check', 'control-plane', 'join', 'network', 'addons', 'check']);
    const inv = testInventory();
    for (const name of ['network', 'addons', 'check']) {
      assert.deepEqual(PHASES.find((p) => p.name === name)!.hosts!(inv).map((n) => n.name), ['master'], name);
    }
  });
});
