/**
 * Benchmark part: `kubelab class plan --only os` over a class of STUDENTS labs of NODES nodes each (every node a
 * real sshd endpoint on 127.0.0.1), its peak RSS and wall time, against the same STUDENTS clusters planned one
 * after another with `kubelab plan` (each a process of its own, as a teacher without `class` would do it). Both
 * connect directly (no connection keeper), so the comparison is of the orchestration.
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { SshdFleet } from '../support/sshd.js';
import { run } from './measure.js';

export const CLASS_STUDENTS = 30;
export const CLASS_NODES = 3;
export const CLASS_ENDPOINTS = CLASS_STUDENTS * CLASS_NODES;
/** The bound for `class plan` over 90 endpoints. */
const RSS_LIMIT_MIB = 300;

/** Runs the comparison in `dir` with the fleet's first CLASS_ENDPOINTS endpoints; true when the RSS bound holds. */
export async function classPlanBench(fleet: SshdFleet, dir: string, kubelab: string): Promise<boolean> {
  const students = Array.from({ length: CLASS_STUDENTS }, (_, i) => ({
    name: `s${String(i + 1).padStart(2, '0')}`,
    nodes: Array.from({ length: CLASS_NODES }, (_, j) => {
      const e = fleet.endpoints[i * CLASS_NODES + j]!;
      // labels on the host-only network, never contacted: SSH goes to 127.0.0.1:<port>
      return { name: j === 0 ? 'master' : `worker${j}`, role: j === 0 ? 'control-plane' : 'worker', address: `192.168.56.${10 + j}`, ssh: { host: e.host, port: e.port } };
    }),
  }));
  writeFileSync(
    join(dir, 'class.yaml'),
    stringify({
      apiVersion: 'kubelab/v1',
      kind: 'Classroom',
      metadata: { name: 'bench' },
      spec: {
        template: { kubernetes: { version: '1.35' }, network: { nodeCidr: '192.168.56.0/24' }, ssh: { user: 'root', identityFile: fleet.clientKey, agent: false } },
        limits: { clusters: CLASS_STUDENTS, connections: CLASS_ENDPOINTS },
        students,
      },
    }),
  );
  const direct = { KUBELAB_PERSIST: '0' };
  const classPlan = (): ReturnType<typeof run> => run(process.execPath, [kubelab, 'class', 'plan', '-f', 'class.yaml', '--only', 'os', '-o', 'json'], dir, direct);
  // warm-up (not counted): host keys pinned per cluster, files in the page cache
  const warm = await classPlan();
  if (warm.code >= 125) throw new Error(`class plan warm-up failed (exit ${warm.code}):\n${warm.out.slice(-2000)}`);
  const c = await classPlan();
  const summary = JSON.parse(c.out.trim().split('\n').at(-1)!) as { students: number; green: number; notGreen: string[] };
  if (summary.students !== CLASS_STUDENTS) throw new Error(`class plan: ${summary.students} students in its summary, expected ${CLASS_STUDENTS}`);
  let sequentialMs = 0;
  let sequentialPeak = 0;
  for (const s of students) {
    const r = await run(process.execPath, [kubelab, 'plan', '-i', join('.kubelab', 'class', 'bench', 'inventories', `${s.name}.yaml`), '--only', 'os', '-o', 'plain'], dir, direct);
    if (r.code > 1) throw new Error(`plan ${s.name} failed (exit ${r.code}):\n${r.out.slice(-2000)}`);
    sequentialMs += r.ms;
    sequentialPeak = Math.max(sequentialPeak, r.peakRssMiB);
  }
  console.log(`kubelab class plan --only os: ${CLASS_STUDENTS} clusters x ${CLASS_NODES} nodes (${CLASS_ENDPOINTS} sshd endpoints on 127.0.0.1), direct connections`);
  console.log(
    `  class plan:                 ${(c.ms / 1000).toFixed(1)} s, peak RSS ${c.peakRssMiB.toFixed(0)} MiB (bound: ${RSS_LIMIT_MIB} MiB); ${summary.green} of ${summary.students} plans without a failed step` +
      (summary.green < summary.students ? ' (the endpoints are this machine: a step reading systemd fails where it has no systemd)' : ''),
  );
  console.log(`  ${CLASS_STUDENTS} x kubelab plan in a row: ${(sequentialMs / 1000).toFixed(1)} s, peak RSS ${sequentialPeak.toFixed(0)} MiB each at most`);
  console.log(`  class / sequential time: ${(c.ms / sequentialMs).toFixed(3)}`);
  return c.peakRssMiB < RSS_LIMIT_MIB;
}
