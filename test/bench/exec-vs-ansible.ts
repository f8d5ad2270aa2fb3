/**
 * Benchmark: `kubelab exec -- true` against `ansible <group> -m raw -a true -f 50` on the same 50 SSH endpoints
 * (real OpenSSH daemons on 127.0.0.1, 16 ports per daemon). Both tools start cold as processes every round, the
 * way a user runs them; rounds alternate between the tools. Prints both medians and their ratio.
 * Then the memory of large outputs: peak RSS of `kubelab exec -- sh -c 'yes | head -c 50000000'` on 10 of the
 * endpoints (the CLI process, and the connection keeper daemon through which it ran; then with KUBELAB_PERSIST=0).
 * Then `kubelab class plan` over 30 clusters x 3 nodes (90 endpoints) against 30 `kubelab plan` runs in a row
 * (class-plan.ts): peak RSS and wall time. And start-up: the median of 10 `kubelab --help` (target 0.5 s).
 * Usage: npm run bench [-- --endpoints 50 --rounds 7 --big-hosts 10 --big-mb 50]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { sshInventoryYaml } from '../support/inventory.js';
import { startSshdFleet } from '../support/sshd.js';
import { median, peakRssMiB, run } from './measure.js';
import { classPlanBench, CLASS_ENDPOINTS } from './class-plan.js';

const { values } = parseArgs({
  options: {
    endpoints: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '7' },
    'big-hosts': { type: 'string', default: '10' },
    'big-mb': { type: 'string', default: '50' },
  },
});
const N = Number(values.endpoints);
const BIG_HOSTS = Math.min(N, Number(values['big-hosts']));
const BIG_BYTES = Number(values['big-mb']) * 1000 * 1000;
const ROUNDS = Number(values.rounds);
const KUBELAB = resolve('dist/scripts/kubelab.js');

async function main(): Promise<number> {
  // SHLVL=1: the endpoints' bash skips ~/.bashrc for ssh sessions. On the machines this project is developed on,
  // root's .bashrc runs `pyenv init` (~90 ms of CPU per session): a cost of the endpoint, the same for both
  // tools, that would otherwise be most of what is measured. Real lab nodes have a plain .bashrc.
  const fleet = await startSshdFleet(Math.max(N, CLASS_ENDPOINTS), { extraConfig: ['SetEnv SHLVL=1'] });
  const dir = mkdtempSync(join(tmpdir(), 'kubelab-bench-'));
  try {
    const nodes = fleet.endpoints.slice(0, N).map((e, i) => ({
      name: `n${String(i).padStart(2, '0')}`,
      role: i === 0 ? 'control-plane' : 'worker',
      // labels on the host-only network, never contacted: SSH goes to 127.0.0.1:<port>
      address: `192.168.56.${10 + i}`,
      ssh: { host: e.host, port: e.port },
    }));
    writeFileSync(
      join(dir, 'bench.yaml'),
      sshInventoryYaml('bench', { user: 'root', identityFile: fleet.clientKey }, nodes),
    );
    writeFileSync(
      join(dir, 'hosts.ini'),
      `[lab]\n${nodes.map((n) => `${n.name} ansible_host=${n.ssh.host} ansible_port=${n.ssh.port}`).join('\n')}\n\n` +
        `[lab:vars]\nansible_user=root\nansible_ssh_private_key_file=${fleet.clientKey}\n` +
        `ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR'\n`,
    );
    const kubelab = (): ReturnType<typeof run> =>
      run(process.execPath, [KUBELAB, 'exec', '-i', 'bench.yaml', '--output', 'plain', '--concurrency', String(N), '--', 'true'], dir);
    const ansible = (): ReturnType<typeof run> =>
      run('ansible', ['lab', '-i', 'hosts.ini', '-m', 'raw', '-a', 'true', '-f', String(N)], dir, {
        ANSIBLE_HOST_KEY_CHECKING: 'False',
        ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
        ANSIBLE_LOCAL_TEMP: join(dir, 'ansible-tmp'),
      });

    // warm-up (not counted): kubelab pins the host keys, both tools' files get into the page cache
    for (const [name, f] of [['kubelab', kubelab], ['ansible', ansible]] as const) {
      const r = await f();
      if (r.code !== 0) throw new Error(`${name} warm-up failed (exit ${r.code}):\n${r.out.slice(-2000)}`);
    }
    const times = { kubelab: [] as number[], ansible: [] as number[] };
    for (let i = 0; i < ROUNDS; i++) {
      for (const [name, f] of [['kubelab', kubelab], ['ansible', ansible]] as const) {
        const r = await f();
        if (r.code !== 0) throw new Error(`${name} round ${i + 1} failed (exit ${r.code}):\n${r.out.slice(-2000)}`);
        times[name].push(r.ms);
      }
    }
    const k = median(times.kubelab);
    const a = median(times.ansible);
    const ratio = k / a;
    console.log(`endpoints: ${N} (sshd daemons: ${fleet.daemons.length}, SetEnv SHLVL=1: no ~/.bashrc per session), rounds: ${ROUNDS}`);
    const persist = process.env.KUBELAB_PERSIST?.trim() || '60';
    console.log(
      'both tools start cold as processes each round; between runs ansible keeps SSH connections through ssh ControlPersist=60s ' +
        '(its default ssh_args), kubelab ' +
        (persist === '0' ? 'keeps none (KUBELAB_PERSIST=0: direct connections)' : `through its connection keeper (mux daemon, KUBELAB_PERSIST=${persist}s)`),
    );
    console.log(`kubelab exec -- true        median ${k.toFixed(0)} ms  (runs: ${times.kubelab.map((t) => t.toFixed(0)).join(', ')})`);
    console.log(`ansible -m raw -a true -f ${N} median ${a.toFixed(0)} ms  (runs: ${times.ansible.map((t) => t.toFixed(0)).join(', ')})`);
    console.log(`ratio kubelab/ansible: ${ratio.toFixed(3)} (target: at most 0.333)`);

    // Large outputs: memory stays flat (only a tail is kept; the whole output streams into the run's log folder).
    writeFileSync(
      join(dir, 'big.yaml'),
      sshInventoryYaml('bigout', { user: 'root', identityFile: fleet.clientKey }, nodes.slice(0, BIG_HOSTS)),
    );
    const big = (env: NodeJS.ProcessEnv = {}): ReturnType<typeof run> =>
      run(process.execPath, [KUBELAB, 'exec', '-i', 'big.yaml', '--output', 'plain', '--', 'sh', '-c', `yes | head -c ${BIG_BYTES}`], dir, env);
    const daemonPid = (): number => {
      const logs = join(dir, '.kubelab', 'bigout', 'logs');
      const last = readdirSync(logs).sort().at(-1)!;
      const m = /mux daemon pid (\d+)/.exec(readFileSync(join(logs, last, `${nodes[0]!.name}.log`), 'utf8'));
      return m ? Number(m[1]) : 0;
    };
    const viaMux = await big();
    if (viaMux.code !== 0) throw new Error(`exec of large outputs failed (exit ${viaMux.code}):\n${viaMux.out.slice(-2000)}`);
    const daemonPeak = peakRssMiB(daemonPid());
    const direct = await big({ KUBELAB_PERSIST: '0' });
    if (direct.code !== 0) throw new Error(`exec of large outputs (direct) failed (exit ${direct.code}):\n${direct.out.slice(-2000)}`);
    const mb = (BIG_BYTES / 1e6).toFixed(0);
    console.log(`kubelab exec -- sh -c 'yes | head -c ${BIG_BYTES}' on ${BIG_HOSTS} hosts (${mb} MB each, ${((BIG_BYTES * BIG_HOSTS) / 1e6).toFixed(0)} MB in all):`);
    console.log(
      `  through the connection keeper: ${(viaMux.ms / 1000).toFixed(1)} s, peak RSS CLI ${viaMux.peakRssMiB.toFixed(0)} MiB, ` +
        `daemon ${daemonPeak.toFixed(0)} MiB (its peak since it started)`,
    );
    console.log(`  KUBELAB_PERSIST=0 (direct):    ${(direct.ms / 1000).toFixed(1)} s, peak RSS CLI ${direct.peakRssMiB.toFixed(0)} MiB`);
    const startup = await startupBench(dir);
    const classOk = await classPlanBench(fleet, dir, KUBELAB);
    return ratio <= 1 / 3 && classOk && startup ? 0 : 1;
  } finally {
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Start-up: `kubelab --help` as a new process, 10 runs after a warm-up; the median against the 0.5 s target. */
async function startupBench(dir: string): Promise<boolean> {
  const target = 500;
  await run(process.execPath, [KUBELAB, '--help'], dir);
  const ms: number[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await run(process.execPath, [KUBELAB, '--help'], dir);
    if (r.code !== 0) throw new Error(`kubelab --help failed (exit ${r.code}):\n${r.out.slice(-2000)}`);
    ms.push(r.ms);
  }
  const m = median(ms);
  console.log(`kubelab --help start-up: median ${m.toFixed(0)} ms (target: at most ${target} ms; runs: ${ms.map((t) => t.toFixed(0)).join(', ')})`);
  return m <= target;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
