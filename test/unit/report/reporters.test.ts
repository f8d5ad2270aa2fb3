import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { RunEvent, Summary } from '../../../scripts/engine/types.js';
import { makeReporter } from '../../../scripts/report/index.js';

const summary: Summary = {
  type: 'summary',
  ok: 7,
  changed: 4,
  failed: 1,
  skipped: 5,
  unreachable: 1,
  hosts: {
    master: { ok: 7, changed: 4, failed: 1, skipped: 0, unreachable: false, reached: true },
    worker1: { ok: 0, changed: 0, failed: 0, skipped: 5, unreachable: true, reached: false },
  },
};

const events: RunEvent[] = [
  { type: 'run-start', mode: 'apply', cluster: 'lab', phases: ['os'], hosts: ['master', 'worker1'], logDir: '/l' },
  { type: 'phase-start', phase: 'os', title: 'Prepare the OS', hosts: ['master', 'worker1'] },
  { type: 'host-unreachable', phase: 'os', host: 'worker1', error: 'cannot reach 127.0.0.1:2221: ECONNREFUSED' },
  { type: 'step', phase: 'os', host: 'master', step: 'hostname', outcome: 'changed', changes: ['rewrite /etc/hostname'], durationMs: 3 },
  { type: 'step', phase: 'os', host: 'master', step: 'swap', outcome: 'failed', changes: [], durationMs: 3, error: 'swapoff -a exited 1: busy', hint: 'free memory' },
  { type: 'step', phase: 'os', host: 'worker1', step: 'swap', outcome: 'skipped', changes: [], durationMs: 0, reason: 'host is unreachable' },
  { type: 'phase-end', phase: 'os', durationMs: 1500 },
  summary,
];

function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough();
  let out = '';
  s.on('data', (d) => (out += d));
  return { stream: s as unknown as NodeJS.WriteStream, text: () => out };
}

describe('reporters', () => {
  it('json: one object per line, the last is the summary of the documented shape', async () => {
    const c = capture();
    const r = await makeReporter('json', c.stream, () => 2);
    for (const e of events) r.event(e);
    r.close();
    const lines = c.text().trim().split('\n');
    assert.equal(lines.length, events.length);
    assert.deepEqual(JSON.parse(lines.at(-1)!), summary);
    assert.deepEqual(Object.keys(JSON.parse(lines.at(-1)!)), ['type', 'ok', 'changed', 'failed', 'skipped', 'unreachable', 'hosts']);
  });

  it('plain: one line per event with outcome, reason and hint; a recap table at the end', async () => {
    const c = capture();
    const r = await makeReporter('plain', c.stream, () => 2);
    for (const e of events) r.event(e);
    r.close();
    const out = c.text();
    assert.match(out, /^master os\/hostname changed: rewrite \/etc\/hostname$/m);
    assert.match(out, /^master os\/swap FAILED: swapoff -a exited 1: busy\n  hint: free memory$/m);
    assert.match(out, /^worker1 os\/swap skipped: host is unreachable$/m);
    assert.match(out, /^worker1 UNREACHABLE: cannot reach 127\.0\.0\.1:2221/m);
    assert.match(out, /^HOST\s+OK\s+CHANGED\s+FAILED\s+SKIPPED\s+REACHED$/m);
    assert.match(out, /^worker1\s+0\s+0\s+0\s+5\s+no$/m);
    assert.match(out, /^total\s+7\s+4\s+1\s+5\s+1\/2$/m);
  });

  it('the recap tells a host never tried (an interrupt while connecting) from one reached or unreachable', async () => {
    const c = capture();
    const r = await makeReporter('plain', c.stream, () => 2);
    const never = { ok: 0, changed: 0, failed: 0, skipped: 5, unreachable: false, reached: false };
    r.event({ ...summary, unreachable: 0, hosts: { master: summary.hosts.master!, worker1: never }, interrupted: 'interrupted (SIGINT)' });
    r.close();
    const out = c.text();
    assert.match(out, /^worker1\s+0\s+0\s+0\s+5\s+-$/m);
    assert.match(out, /^total\s+7\s+4\s+1\s+5\s+1\/2$/m);
  });

  it('a download is one line in plain and tty output, an object in json', async () => {
    const d: RunEvent = { type: 'download', what: 'kubeadm 1.35.4', url: 'https://dl.k8s.io/release/v1.35.4/bin/linux/amd64/kubeadm', into: '/c/kubeadm' };
    const line = 'downloading kubeadm 1.35.4 from https://dl.k8s.io/release/v1.35.4/bin/linux/amd64/kubeadm into /c/kubeadm';
    for (const mode of ['plain', 'tty'] as const) {
      const c = capture();
      const r = await makeReporter(mode, c.stream, () => 2);
      r.event(events[0]!);
      r.event(events[1]!);
      r.event(d);
      r.close();
      assert.match(c.text(), new RegExp(`^${line.replace(/[.]/g, '\\.')}$`, 'm'), mode);
    }
    const c = capture();
    const r = await makeReporter('json', c.stream, () => 2);
    r.event(d);
    assert.deepEqual(JSON.parse(c.text()), d);
  });

  it('plain in plan mode says "would change"', async () => {
    const c = capture();
    const r = await makeReporter('plain', c.stream, () => 2);
    r.event({ ...(events[0] as Extract<RunEvent, { type: 'run-start' }>), mode: 'plan' });
    r.event(events[3]!);
    assert.match(c.text(), /^master os\/hostname would change: rewrite \/etc\/hostname$/m);
  });

  it('tty: spinner per phase ends failed with per-host state, changes printed above it, recap table', async () => {
    const c = capture();
    const r = await makeReporter('tty', c.stream, () => 2);
    for (const e of events) r.event(e);
    r.close();
    const out = c.text();
    assert.match(out, /master os\/hostname changed: rewrite \/etc\/hostname/);
    assert.match(out, /os 1\.5s {2}master failed · worker1 unreachable/);
    assert.match(out, /total\s+7\s+4\s+1\s+5\s+1\/2/);
  });

  it('a run stopped by an error in the middle of a phase: the recap says why (escaped), after the spinner, in plain and tty', async () => {
    const stopped: Summary = { ...summary, error: 'hosts of os: boom \u001b[2J' };
    for (const mode of ['plain', 'tty'] as const) {
      const c = capture();
      const r = await makeReporter(mode, c.stream, () => 2);
      for (const e of events.slice(0, 4)) r.event(e);
      r.event(stopped);
      r.close();
      const out = c.text();
      assert.match(out, /^total\s+7\s+4\s+1\s+5\s+1\/2\nstopped by an error: hosts of os: boom \\x1b\[2J\n$/m, mode);
      // the spinner was stopped before the recap: nothing of it after the last line
      assert.ok(out.endsWith('boom \\x1b[2J\n'), `${mode}: ${JSON.stringify(out.slice(-80))}`);
    }
  });

  describe('up with the check phase: the smoke checks in the same stream', () => {
    const checkRun: RunEvent[] = [
      { type: 'run-start', mode: 'apply', cluster: 'lab', phases: ['check'], hosts: ['master'], logDir: '/l' },
      { type: 'phase-start', phase: 'check', title: 'Smoke checks', hosts: ['master'] },
      { type: 'check-start', name: 'nodes', title: 'nodes Ready', total: 2 },
      { type: 'check', name: 'nodes', status: 'passed', ok: true, durationMs: 312, detail: '2 nodes Ready' },
      { type: 'check-start', name: 'dns', title: 'cluster DNS', total: 2 },
      { type: 'check', name: 'dns', status: 'failed', ok: false, durationMs: 2000, detail: 'no answer from worker1', diagnosis: 'CoreDNS is not running' },
      { type: 'step', phase: 'check', host: 'master', step: 'smoke-checks', outcome: 'failed', changes: [], durationMs: 2400, error: '1 smoke check failed: dns: no answer from worker1' },
      { type: 'phase-end', phase: 'check', durationMs: 2500 },
      { ...summary, hosts: { master: { ok: 0, changed: 0, failed: 1, skipped: 0, unreachable: false, reached: true } } },
    ];

    it('json (up --output json): a {"type":"check",...} line per check result, no progress lines', async () => {
      const c = capture();
      const r = await makeReporter('json', c.stream, () => 1);
      for (const e of checkRun) r.event(e);
      r.close();
      const lines = c.text().trim().split('\n').map((l) => JSON.parse(l) as { type: string });
      assert.deepEqual(lines.map((l) => l.type), ['run-start', 'phase-start', 'check', 'check', 'step', 'phase-end', 'summary']);
      assert.deepEqual(lines.filter((l) => l.type === 'check'), [checkRun[3], checkRun[5]]);
      assert.equal(c.text().split('\n')[2], '{"type":"check","name":"nodes","status":"passed","ok":true,"durationMs":312,"detail":"2 nodes Ready"}');
    });

    it('plain and tty: a line per check result with the diagnosis, inside the phase', async () => {
      for (const mode of ['plain', 'tty'] as const) {
        const c = capture();
        const r = await makeReporter(mode, c.stream, () => 1);
        for (const e of checkRun) r.event(e);
        r.close();
        const out = c.text();
        assert.match(out, /nodes ok \(0\.3s\): 2 nodes Ready/, mode);
        assert.match(out, /dns FAILED \(2\.0s\): no answer from worker1\n\s+diagnosis: CoreDNS is not running/, mode);
        assert.doesNotMatch(out, /^checks: /m, `${mode}: no check summary inside up`);
      }
    });
  });
});
