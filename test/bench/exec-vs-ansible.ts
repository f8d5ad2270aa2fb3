/**
 * Benchmark: `kubelab exec -- true` against `ansible <group> -m raw -a true -f 50` on the same 50 SSH endpoints
 * (real OpenSSH daemons on 127.0.0.1, 16 ports per daemon). Both tools start cold as processes every round, the
 * way a user runs them; rounds alternate between the tools. Prints both medians and their ratio.
 * Usage: npm run bench [-- --endpoints 50 --rounds 7]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { startSshdFleet } from '../support/sshd.js';

const { values } = parseArgs({ options: { endpoints: { type: 'string', default: '50' }, rounds: { type: 'string', default: '7' } } });
const N = Number(values.endpoints);
const ROUNDS = Number(values.rounds);
const KUBELAB = resolve('dist/scripts/kubelab.js');

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ ms: number; code: number; out: string }> {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', rej);
    child.on('close', (code) => res({ ms: Number(process.hrtime.bigint() - t0) / 1e6, code: code ?? -1, out }));
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<number> {
  // SHLVL=1: the endpoints' bash skips ~/.bashrc for ssh sessions. On the machines this project is developed on,
  // root's .bashrc runs `pyenv init` (~90 ms of CPU per session): a cost of the endpoint, the same for both
  // tools, that would otherwise be most of what is measured. Real lab nodes have a plain .bashrc.
  const fleet = await startSshdFleet(N, { extraConfig: ['SetEnv SHLVL=1'] });
  const dir = mkdtempSync(join(tmpdir(), 'kubelab-bench-'));
  try {
    const nodes = fleet.endpoints.map((e, i) => ({
      name: `n${String(i).padStart(2, '0')}`,
      role: i === 0 ? 'control-plane' : 'worker',
      // labels on the host-only network, never contacted: SSH goes to 127.0.0.1:<port>
      address: `192.168.56.${10 + i}`,
      ssh: { host: e.host, port: e.port },
    }));
    writeFileSync(
      join(dir, 'bench.yaml'),
      stringify({
        apiVersion: 'kubelab/v1',
        kind: 'Cluster',
        metadata: { name: 'bench' },
        spec: {
          kubernetes: { version: '1.35' },
          network: { nodeCidr: '192.168.56.0/24' },
          ssh: { user: 'root', identityFile: fleet.clientKey, agent: false },
          nodes,
        },
      }),
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
    return ratio <= 1 / 3 ? 0 : 1;
  } finally {
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
