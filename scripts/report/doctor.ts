/**
 * `kubelab doctor` output. json: one `{"type":"finding",...}` object per finding, then the summary
 * `{"type":"summary","findings":N,"codes":[...],...}` (also when nothing could run: `"error"` says why); tty and
 * plain: each finding with its cause and fix, then one summary line. Remote text (journals, API messages) has its
 * control characters escaped.
 */
import type { DoctorResult, DoctorTimings } from '../doctor/run.js';
import type { Finding } from '../doctor/types.js';
import { printable } from '../util/terminal-text.js';
import type { OutputMode } from './index.js';

export interface DoctorSummary {
  type: 'summary';
  findings: number;
  /** The distinct codes found, in the order found. */
  codes: string[];
  nodes: number;
  unreachable: number;
  api: 'reachable' | 'unreachable' | 'not tried';
  apiVia?: string;
  apiError?: string;
  incomplete: { source: string; error: string }[];
  durationMs: number;
  /** Where the time went (absent when nothing ran). */
  timings?: DoctorTimings;
  error?: string;
}

export function doctorSummary(r: DoctorResult): DoctorSummary {
  return {
    type: 'summary',
    findings: r.findings.length,
    codes: [...new Set(r.findings.map((f) => f.code))],
    nodes: r.nodes,
    unreachable: r.unreachable,
    api: r.api.reachable ? 'reachable' : 'unreachable',
    ...(r.api.via ? { apiVia: r.api.via } : {}),
    ...(r.api.error ? { apiError: r.api.error } : {}),
    incomplete: r.incomplete,
    durationMs: r.durationMs,
    timings: r.timings,
  };
}

/** The summary of a run that could not start (bad inventory, options). */
export function doctorErrorSummary(error: string): DoctorSummary {
  return { type: 'summary', findings: 0, codes: [], nodes: 0, unreachable: 0, api: 'not tried', incomplete: [], durationMs: 0, error };
}

function findingText(f: Finding, bold: (s: string) => string): string {
  const lines = [`${f.node ? ` ${f.node}` : ''}: ${f.symptom}`, `  cause: ${f.cause}`, `  fix:   ${f.fix}`];
  if (f.evidence) lines.push(...f.evidence.split('\n').map((l) => `  | ${l}`));
  return `${bold(f.code)}${printable(lines.join('\n'))}\n`;
}

export function summaryText(s: DoctorSummary): string {
  if (s.error) return `doctor: not run: ${s.error}\n`;
  const found = s.findings ? `${s.findings} finding${s.findings === 1 ? '' : 's'} (${s.codes.join(', ')})` : 'nothing found';
  const api = s.api === 'reachable' ? `API reachable${s.apiVia ? ` (${s.apiVia})` : ''}` : 'API unreachable';
  const partial = s.incomplete.length ? `; incomplete: ${s.incomplete.map((i) => `${i.source} (${i.error})`).join(', ')}` : '';
  return printable(`doctor: ${found} on ${s.nodes} node${s.nodes === 1 ? '' : 's'}${s.unreachable ? ` (${s.unreachable} unreachable)` : ''}; ${api}${partial}; ${(s.durationMs / 1000).toFixed(1)} s${s.timings ? ` (${timingsText(s.timings)})` : ''}\n`);
}

const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** "nodes 3.1 s (slowest: w1), API 2.0 s, sources 4.2 s (pods 3.0 s)": the first read, the API, the diagnoses and the slowest of them. */
export function timingsText(t: DoctorTimings): string {
  const total = t.sources.reduce((a, x) => a + x.ms, 0);
  const top = t.sources.reduce<DoctorTimings['sources'][number] | undefined>((a, x) => (!a || x.ms > a.ms ? x : a), undefined);
  return [
    `nodes ${sec(t.nodesMs)}${t.slowestNode && t.slowestNode.ms > 0 ? ` (slowest: ${t.slowestNode.node})` : ''}`,
    ...(t.moreMs ? [`journals ${sec(t.moreMs)}`] : []),
    `API ${sec(t.apiMs)}`,
    `sources ${sec(total)}${top && top.ms > 0 ? ` (${top.source} ${sec(top.ms)})` : ''}`,
  ].join(', ');
}

/** Writes the findings and the summary in the --output mode. */
export function writeDoctorReport(mode: OutputMode, write: (text: string) => void, findings: readonly Finding[], summary: DoctorSummary): void {
  if (mode === 'json') {
    for (const f of findings) write(`${JSON.stringify({ type: 'finding', ...f })}\n`);
    write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const bold = mode === 'tty' ? (s: string) => `\x1b[1;31m${s}\x1b[0m` : (s: string) => s;
  for (const f of findings) write(findingText(f, bold));
  write(summaryText(summary));
}
