/** Renderings of check events by the reporters of `kubelab check`: JSON lines, plain lines, the tty table, JUnit XML (escaping included). */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { CheckResult } from '../../../scripts/checks/types.js';
import { makeReporter } from '../../../scripts/report/index.js';
import { checkTable } from '../../../scripts/report/tty.js';
import { junitXml, xmlAttr, xmlText } from '../../../scripts/report/junit.js';

const results: CheckResult[] = [
  { name: 'nodes', status: 'passed', ok: true, durationMs: 312, detail: '2 nodes Ready' },
  {
    name: 'pod-network',
    status: 'failed',
    ok: false,
    durationMs: 15_040,
    detail: 'failed: master -> worker1 (curl: (28) timed out)',
    diagnosis: 'flannel on worker1 runs on the NAT NIC eth0 (10.0.2.15; its log says "Using interface with name eth0 and address 10.0.2.15"): --iface missing',
  },
  { name: 'monitoring', status: 'skipped', ok: true, durationMs: 0, detail: 'addon monitoring is not enabled in the inventory (spec.addons.monitoring.enabled)' },
];
const summary = { type: 'summary', passed: 1, failed: 1, skipped: 1 } as const;

function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  const s = new PassThrough();
  let out = '';
  s.on('data', (d) => (out += d));
  return { stream: s as unknown as NodeJS.WriteStream, text: () => out };
}

async function render(mode: 'json' | 'plain'): Promise<string> {
  const c = capture();
  const r = await makeReporter(mode, c.stream, () => 0);
  for (const x of results) {
    r.event({ type: 'check-start', name: x.name, title: 'title', total: results.length });
    r.event({ type: 'check', ...x });
  }
  r.event(summary);
  r.close();
  return c.text();
}

describe('check renderings', () => {
  it('json: one object per check, then the summary', async () => {
    const lines = (await render('json')).trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l)),
      [
        { type: 'check', name: 'nodes', status: 'passed', ok: true, durationMs: 312, detail: '2 nodes Ready' },
        { type: 'check', name: 'pod-network', status: 'failed', ok: false, durationMs: 15040, detail: results[1]!.detail, diagnosis: results[1]!.diagnosis },
        { type: 'check', name: 'monitoring', status: 'skipped', ok: true, durationMs: 0, detail: results[2]!.detail },
        { type: 'summary', passed: 1, failed: 1, skipped: 1 },
      ],
    );
    assert.equal(lines[0], '{"type":"check","name":"nodes","status":"passed","ok":true,"durationMs":312,"detail":"2 nodes Ready"}');
  });

  it('plain: a line per check, the diagnosis under a failure, the counts last', async () => {
    assert.equal(
      await render('plain'),
      [
        'nodes ok (0.3s): 2 nodes Ready',
        'pod-network FAILED (15.0s): failed: master -> worker1 (curl: (28) timed out)',
        `  diagnosis: ${results[1]!.diagnosis}`,
        'monitoring skipped: addon monitoring is not enabled in the inventory (spec.addons.monitoring.enabled)',
        'checks: 1 passed, 1 failed, 1 skipped',
        '',
      ].join('\n'),
    );
  });

  it('tty: a table with the detail cut to the width', () => {
    assert.ok(checkTable(results, 70).split('\n').every((l) => l.length <= 70));
    assert.equal(
      checkTable(results, 70),
      [
        'CHECK        RESULT   TIME   DETAIL',
        'nodes        ok       0.3s   2 nodes Ready',
        'pod-network  FAILED   15.0s  failed: master -> worker1 (curl: (28) ti…',
        'monitoring   skipped  -      addon monitoring is not enabled in the i…',
      ].join('\n'),
    );
  });

  it('junit: a testsuite kubelab-check with one testcase per check, failures carrying the diagnosis', () => {
    const xml = junitXml(results, { timestamp: new Date('2026-11-23T10:20:00.123Z') });
    assert.equal(
      xml,
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="kubelab" tests="3" failures="1" errors="0" skipped="1" time="15.352">',
        '  <testsuite name="kubelab-check" tests="3" failures="1" errors="0" skipped="1" time="15.352" timestamp="2026-11-23T10:20:00">',
        '    <testcase classname="kubelab-check" name="nodes" time="0.312">',
        '      <system-out>2 nodes Ready</system-out>',
        '    </testcase>',
        '    <testcase classname="kubelab-check" name="pod-network" time="15.040">',
        '      <failure message="flannel on worker1 runs on the NAT NIC eth0 (10.0.2.15; its log says &quot;Using interface with name eth0 and address 10.0.2.15&quot;): --iface missing" type="CheckFailed">failed: master -&gt; worker1 (curl: (28) timed out)',
        'diagnosis: flannel on worker1 runs on the NAT NIC eth0 (10.0.2.15; its log says "Using interface with name eth0 and address 10.0.2.15"): --iface missing</failure>',
        '    </testcase>',
        '    <testcase classname="kubelab-check" name="monitoring" time="0.000">',
        '      <skipped message="addon monitoring is not enabled in the inventory (spec.addons.monitoring.enabled)"/>',
        '    </testcase>',
        '  </testsuite>',
        '</testsuites>',
        '',
      ].join('\n'),
    );
  });

  it('junit: markup, quotes, newlines and control characters in results cannot break the document', () => {
    const nasty = 'a <b> & "c" \'d\'\n\ttab\u0001\u001b[31mred]]></x>';
    assert.equal(xmlText(nasty), 'a &lt;b&gt; &amp; "c" \'d\'\n\ttab\uFFFD\uFFFD[31mred]]&gt;&lt;/x&gt;');
    assert.equal(xmlAttr(nasty), 'a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;&#10;&#9;tab\uFFFD\uFFFD[31mred]]&gt;&lt;/x&gt;');
    const xml = junitXml([{ name: 'dns', status: 'failed', ok: false, durationMs: 5, detail: nasty, diagnosis: nasty }], { timestamp: new Date(0) });
    // Parse it back roughly: no raw markup from the input, the attribute decodes to the input (control chars aside).
    const body = xml.slice(xml.indexOf('<failure'), xml.indexOf('</failure>'));
    assert.doesNotMatch(body, /<b>|<\/x>|\u0001/);
    const message = /<failure message="([^"]*)"/.exec(xml)![1]!;
    const decoded = message
      .replace(/&#10;/g, '\n')
      .replace(/&#9;/g, '\t')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
    assert.equal(decoded, nasty.replace(/[\u0001\u001b]/g, '\uFFFD'));
    assert.equal((xml.match(/<testcase /g) ?? []).length, 1);
    assert.equal((xml.match(/<\/testcase>/g) ?? []).length, 1);
  });
});
