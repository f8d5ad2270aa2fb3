/**
 * The class report: one self-contained HTML file (inline style, no script, no external asset) with every student's
 * lab: state, phases and their timings, check results with their diagnoses, failures, exec output, and where their
 * kubeconfig is (or the kubeconfig itself, when asked to embed it).
 */
import { relative, dirname } from 'node:path';
import { duration, progress, type Board, type BoardRow } from './board.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text made safe for HTML content and attribute values. */
export function esc(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export interface ReportInput {
  readonly classroom: string;
  /** e.g. "up", "check". */
  readonly command: string;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly board: Board;
  /** Where the report is written (kubeconfig links are relative to it). */
  readonly file: string;
  /** Per student: their kubeconfig file and, when embedding was asked for, its text. */
  readonly kubeconfigs?: ReadonlyMap<string, { file: string; text?: string }>;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}tr.green td.state{background:#d9f2d9}tr.not-green td.state{background:#f8d7d7}
tr.queued td.state,tr.running td.state{background:#fff3cd}
pre{background:#f7f7f7;padding:.5em;overflow:auto;max-height:20em}
.fail{color:#a00}.pass{color:#070}.skip{color:#777}section{margin:1.5em 0;border-top:1px solid #ddd}
`;

function checkClass(status: string): string {
  return status === 'passed' ? 'pass' : status === 'failed' ? 'fail' : 'skip';
}

function studentSection(r: BoardRow, input: ReportInput): string {
  const parts: string[] = [`<section id="student-${esc(r.student)}" data-student="${esc(r.student)}">`, `<h2>${esc(r.student)} <small>(cluster ${esc(r.cluster)}: ${esc(progress(r))})</small></h2>`];
  if (r.failures.length) {
    parts.push('<h3>Problems</h3><ul class="failures">', ...r.failures.map((f) => `<li class="fail">${esc(f)}</li>`), '</ul>');
  }
  const phases = r.phases.filter((p) => r.phaseMs[p] !== undefined || p === r.phase);
  if (phases.length) {
    parts.push('<h3>Phases</h3><table><tr><th>phase</th><th>time</th></tr>');
    for (const p of phases) parts.push(`<tr><td>${esc(p)}</td><td>${esc(duration(r.phaseMs[p]))}</td></tr>`);
    parts.push('</table>');
  }
  if (r.changes.length) {
    parts.push(`<h3>Changes (${r.steps.changed} steps)</h3><ul class="changes">`, ...r.changes.map((c) => `<li>${esc(c)}</li>`), '</ul>');
  }
  if (r.checks.length) {
    parts.push('<h3>Checks</h3><table class="checks"><tr><th>check</th><th>result</th><th>time</th><th>detail / diagnosis</th></tr>');
    for (const c of r.checks) {
      parts.push(
        `<tr data-check="${esc(c.name)}" data-status="${esc(c.status)}"><td>${esc(c.name)}</td><td class="${checkClass(c.status)}">${esc(c.status)}</td><td>${esc(duration(c.durationMs))}</td><td>${esc(c.detail ?? '')}${c.diagnosis ? `<br><strong>diagnosis:</strong> ${esc(c.diagnosis)}` : ''}</td></tr>`,
      );
    }
    parts.push('</table>');
  }
  for (const o of r.outputs) {
    parts.push(`<h3>${esc(o.host)}: ${o.error !== undefined ? esc(o.error) : `exit ${esc(o.code)}`}</h3>`);
    if (o.stdout) parts.push(`<pre>${esc(o.stdout)}</pre>`);
    if (o.stderr) parts.push(`<pre class="fail">${esc(o.stderr)}</pre>`);
  }
  const kc = input.kubeconfigs?.get(r.student);
  if (kc) {
    const link = relative(dirname(input.file), kc.file);
    parts.push(`<h3>Kubeconfig</h3><p><a href="${esc(link)}">${esc(link)}</a> (context ${esc(r.student)})</p>`);
    if (kc.text !== undefined) parts.push(`<details><summary>the file</summary><pre>${esc(kc.text)}</pre></details>`);
  }
  parts.push('</section>');
  return parts.join('\n');
}

/** The whole report as HTML text. */
export function reportHtml(input: ReportInput): string {
  const rows = input.board.rows;
  const green = rows.filter((r) => r.state === 'green').length;
  const table = rows.map((r) => {
    const failed = r.steps.failed + r.unreachable.length + r.checks.filter((c) => c.status === 'failed').length;
    return (
      `<tr class="${esc(r.state.replace(' ', '-'))}" data-student="${esc(r.student)}" data-state="${esc(r.state)}">` +
      `<td><a href="#student-${esc(r.student)}">${esc(r.student)}</a></td><td>${esc(r.cluster)}</td><td class="state">${esc(progress(r))}</td>` +
      `<td>${r.steps.changed}</td><td>${failed}</td><td>${esc(duration(r.durationMs))}</td><td class="problem">${esc(r.failures[0] ?? '')}</td></tr>`
    );
  });
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>kubelab class ${esc(input.classroom)}: ${esc(input.command)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>Class ${esc(input.classroom)}: kubelab class ${esc(input.command)}</h1>`,
    `<p id="summary">${green} of ${rows.length} labs green; started ${esc(input.startedAt.toISOString())}, took ${esc(duration(input.durationMs))}.</p>`,
    '<table id="board"><tr><th>student</th><th>cluster</th><th>state</th><th>changed</th><th>failed</th><th>time</th><th>first problem</th></tr>',
    ...table,
    '</table>',
    ...rows.map((r) => studentSection(r, input)),
    '</body></html>',
    '',
  ].join('\n');
}
