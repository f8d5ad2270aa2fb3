/** The class board from cluster events, its text rows, and the HTML report made from it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Board, boardLines, endLine } from '../../../scripts/class/board.js';
import { esc, reportHtml } from '../../../scripts/class/report-html.js';

const students = ['alice', 'bob', 'carol'].map((name) => ({ name, inventory: { metadata: { name: `k101-${name}` } } }));

function played(): Board {
  let t = 1000;
  const board = new Board(students, () => t);
  board.start('alice');
  board.start('bob');
  board.event('alice', { type: 'run-start', mode: 'apply', cluster: 'k101-alice', phases: ['os', 'runtime', 'packages'], hosts: ['master'], logDir: '/x' });
  board.event('alice', { type: 'phase-start', phase: 'os', title: 'os', hosts: ['master'] });
  board.event('alice', { type: 'step', phase: 'os', host: 'master', step: 'swap', outcome: 'changed', changes: ['swapoff'], durationMs: 5 });
  board.event('alice', { type: 'phase-end', phase: 'os', durationMs: 65_000 });
  board.event('alice', { type: 'phase-start', phase: 'runtime', title: 'runtime', hosts: ['master'] });
  board.event('bob', { type: 'run-start', mode: 'apply', cluster: 'k101-bob', phases: ['os'], hosts: ['master', 'worker1'], logDir: '/x' });
  board.event('bob', { type: 'host-unreachable', phase: 'os', host: 'worker1', error: 'connect ECONNREFUSED 127.0.0.1:2301\nmore' });
  board.event('bob', { type: 'step', phase: 'os', host: 'master', step: 'hosts', outcome: 'failed', changes: [], durationMs: 5, error: 'write /etc/hosts: <b>denied</b>' });
  board.event('bob', { type: 'check', name: 'dns', status: 'failed', ok: false, durationMs: 1200, detail: 'no answer', diagnosis: 'CoreDNS not running' });
  board.event('bob', { type: 'check', name: 'nodes', status: 'passed', ok: true, durationMs: 100, detail: '2 Ready' });
  t = 61_000;
  board.end('bob', { student: 'bob', exitCode: 1, durationMs: 60_000, stderr: '' });
  return board;
}

describe('class board', () => {
  it('rows follow the events: phase reached, steps, unreachable hosts, failed steps and checks as problems', () => {
    const board = played();
    const alice = board.row('alice');
    assert.equal(alice.state, 'running');
    assert.equal(alice.phase, 'runtime');
    assert.deepEqual(alice.steps, { ok: 0, changed: 1, failed: 0, skipped: 0 });
    assert.equal(alice.phaseMs['os'], 65_000);
    assert.deepEqual(alice.changes, ['os/swap on master: swapoff']);
    const bob = board.row('bob');
    assert.equal(bob.state, 'not green');
    assert.deepEqual(bob.unreachable, ['worker1']);
    assert.deepEqual(bob.failures, [
      'worker1 unreachable: connect ECONNREFUSED 127.0.0.1:2301 more',
      'os/hosts on master: write /etc/hosts: <b>denied</b>',
      'check dns: CoreDNS not running',
    ]);
    assert.equal(board.row('carol').state, 'queued');
    assert.deepEqual(board.notGreen(), ['alice', 'bob', 'carol']);
    assert.match(endLine(bob), /^bob: not green checks 1\/2, 0 changed, 1 failed, in 1m00s: worker1 unreachable: .* \(\+2 more\)$/);
  });

  it('an exit without events (a refused inventory) shows what the command said on stderr', () => {
    const board = new Board(students);
    board.start('carol');
    board.end('carol', { student: 'carol', exitCode: 2, durationMs: 10, stderr: 'kubelab: --bundle needs spec.kubernetes.install: binaries\n' });
    assert.deepEqual(board.row('carol').failures, ['--bundle needs spec.kubernetes.install: binaries']);
    const green = new Board(students);
    green.start('alice');
    green.end('alice', { student: 'alice', exitCode: 0, durationMs: 10, stderr: '' });
    assert.equal(green.row('alice').state, 'green');
    assert.deepEqual(green.row('alice').failures, []);
  });

  it('text rows: progress per student, cut to the width, control characters shown escaped', () => {
    const board = played();
    board.event('alice', { type: 'step', phase: 'runtime', host: 'master', step: 'containerd', outcome: 'failed', changes: [], durationMs: 1, error: 'apt said \x1b[31mred\x1b[0m' });
    const lines = boardLines(board.rows, 200, 31_000);
    assert.match(lines[0]!, /^STUDENT\s+PROGRESS\s+CHANGED\s+FAILED\s+TIME\s+PROBLEM$/);
    assert.match(lines[1]!, /^alice\s+2\/3 runtime\s+1\s+1\s+30s\s+runtime\/containerd on master: apt said \\x1b\[31mred/);
    assert.match(lines[2]!, /^bob\s+not green checks 1\/2\s+0\s+3\s+1m00s\s+worker1 unreachable/);
    assert.match(lines[3]!, /^carol\s+queued\s+0\s+0\s+-\s*$/);
    for (const l of boardLines(board.rows, 50)) assert.ok(l.length <= 50, l);
  });

  it('the HTML report: a row per student with its state, problems and checks escaped, phase times, the kubeconfig link', () => {
    const board = played();
    const html = reportHtml({
      classroom: 'k101',
      command: 'up',
      startedAt: new Date('2026-12-01T08:00:00Z'),
      durationMs: 61_000,
      board,
      file: '/lab/.kubelab/class/k101/report.html',
      kubeconfigs: new Map([['bob', { file: '/lab/.kubelab/class/k101/kubeconfigs/bob.kubeconfig', text: 'apiVersion: v1\n# <creds>' }]]),
    });
    assert.match(html, /^<!DOCTYPE html>/);
    assert.doesNotMatch(html, /<script|<link|src=|https?:\/\//, 'self-contained: no script, no external asset');
    assert.match(html, /<p id="summary">0 of 3 labs green; started 2026-12-01T08:00:00\.000Z, took 1m01s\.<\/p>/);
    assert.match(html, /<tr class="not-green" data-student="bob" data-state="not green">/);
    assert.match(html, /<tr class="running" data-student="alice" data-state="running">/);
    assert.match(html, /<li class="fail">os\/hosts on master: write \/etc\/hosts: &lt;b&gt;denied&lt;\/b&gt;<\/li>/);
    assert.match(html, /<tr data-check="dns" data-status="failed">.*<strong>diagnosis:<\/strong> CoreDNS not running/);
    assert.match(html, /<td>os<\/td><td>1m05s<\/td>/);
    assert.match(html, /<h3>Changes \(1 steps\)<\/h3><ul class="changes">\n<li>os\/swap on master: swapoff<\/li>/);
    assert.match(html, /<a href="kubeconfigs\/bob\.kubeconfig">kubeconfigs\/bob\.kubeconfig<\/a> \(context bob\)/);
    assert.match(html, /# &lt;creds&gt;/);
    assert.equal(esc(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
