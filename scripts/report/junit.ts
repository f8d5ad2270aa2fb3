/** JUnit XML for CI systems: one testsuite "kubelab-check", one testcase per check. */
import type { CheckEvent } from '../engine/types.js';

export const JUNIT_SUITE = 'kubelab-check';

/** Characters XML 1.0 cannot carry at all (control characters other than tab, LF, CR; lone surrogates; FFFE/FFFF). */
const INVALID_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text content: &, <, > escaped, invalid characters replaced by U+FFFD. */
export function xmlText(value: string): string {
  return value.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute value (double-quoted): also quotes, and whitespace kept as character references. */
export function xmlAttr(value: string): string {
  return xmlText(value).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

export interface JunitOptions {
  /** When the run started (the testsuite's timestamp attribute). */
  timestamp: Date;
  hostname?: string;
}

/** From the check events of a run (their `type` is not needed). */
export function junitXml(results: readonly Omit<CheckEvent, 'type'>[], opts: JunitOptions): string {
  const failures = results.filter((r) => r.status === 'failed').length;
  const skipped = results.filter((r) => r.status === 'skipped').length;
  const time = seconds(results.reduce((t, r) => t + r.durationMs, 0));
  const counts = `tests="${results.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time}"`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="kubelab" ${counts}>`,
    `  <testsuite name="${JUNIT_SUITE}" ${counts} timestamp="${xmlAttr(opts.timestamp.toISOString().replace(/\.\d+Z$/, ''))}"${opts.hostname ? ` hostname="${xmlAttr(opts.hostname)}"` : ''}>`,
  ];
  for (const r of results) {
    const head = `    <testcase classname="${JUNIT_SUITE}" name="${xmlAttr(r.name)}" time="${seconds(r.durationMs)}"`;
    if (r.status === 'failed') {
      const message = r.diagnosis ?? r.detail;
      const body = r.diagnosis ? `${r.detail}\ndiagnosis: ${r.diagnosis}` : r.detail;
      lines.push(`${head}>`, `      <failure message="${xmlAttr(message)}" type="CheckFailed">${xmlText(body)}</failure>`, '    </testcase>');
    } else if (r.status === 'skipped') {
      lines.push(`${head}>`, `      <skipped message="${xmlAttr(r.detail)}"/>`, '    </testcase>');
    } else {
      lines.push(`${head}>`, `      <system-out>${xmlText(r.detail)}</system-out>`, '    </testcase>');
    }
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
