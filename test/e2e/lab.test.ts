/**
 * End to end on real VMs: builds (or reuses) the Debian 12 base image, boots 2 qemu VMs with the VirtualBox
 * topology, runs `kubelab up --only os,runtime,nfs` through the real CLI, checks the nodes from outside over SSH,
 * runs `up` again (0 changed), reboots both VMs and checks everything again. Prints its timings.
 * Traffic: only 127.0.0.1 (forwarded SSH) and the VMs' own private segment; the VMs reach the Debian mirror
 * through qemu's user-mode NAT.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { loadInventory, stateDir } from '../../scripts/inventory/load.js';
import type { Inventory } from '../../scripts/inventory/types.js';
import { reachableInventory } from '../../scripts/providers/lab.js';
import { vmDown, vmReboot } from '../../scripts/providers/qemu/index.js';
import { SshTransport } from '../../scripts/transport/ssh.js';
import type { Summary } from '../../scripts/engine/types.js';

const repo = resolve('.');
const work = resolve(process.env.KUBELAB_E2E_DIR ?? join(repo, '.kubelab-e2e'));
const cache = resolve(process.env.KUBELAB_IMAGE_CACHE ?? join(repo, '.kubelab', 'images'));
const cli = join(repo, 'dist', 'scripts', 'kubelab.js');
const invFile = join(work, 'e2e-lab.yaml');
const timings: Record<string, number> = {};

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function kubelab(args: string[]): Promise<CliRun> {
  return new Promise((res, rej) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [cli, ...args], { cwd: work, env: { ...process.env, KUBELAB_IMAGE_CACHE: cache } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      process.stderr.write(d);
    });
    child.on('error', rej);
    child.on('close', (code) => res({ code: code ?? -1, stdout, stderr, ms: Date.now() - t0 }));
  });
}

function summaryOf(run: CliRun): Summary {
  const last = run.stdout.trim().split('\n').pop() ?? '';
  const s = JSON.parse(last) as Summary;
  assert.equal(s.type, 'summary', `last line is the summary: ${last}`);
  return s;
}

function failures(run: CliRun): string {
  return run.stdout
    .split('\n')
    .filter((l) => l.includes('"outcome":"failed"') || l.includes('host-unreachable'))
    .join('\n');
}

let inv: Inventory;
const ssh = new Map<string, SshTransport>();

async function sh(node: string, script: string): Promise<string> {
  const r = await ssh.get(node)!.exec(['sh', '-c', script], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `${node}: ${script}\n${r.stderr}`);
  return r.stdout;
}

async function connectAll(): Promise<void> {
  for (const t of ssh.values()) await t.close();
  ssh.clear();
  for (const n of inv.spec.nodes) {
    const t = new SshTransport({
      name: n.name,
      host: n.ssh.host,
      port: n.ssh.port,
      user: 'root',
      identityFile: n.ssh.identityFile,
      knownHostsFile: join(stateDir(inv), 'known_hosts'),
    });
    await t.connect();
    ssh.set(n.name, t);
  }
}

/** Everything the os, runtime and nfs phases promise, read from outside. */
async function checkNodes(label: string): Promise<void> {
  for (const n of inv.spec.nodes) {
    assert.equal((await sh(n.name, 'hostname')).trim(), n.name, `${label}: hostname of ${n.name}`);
    const hosts = await sh(n.name, 'cat /etc/hosts');
    for (const m of inv.spec.nodes) assert.match(hosts, new RegExp(`^${m.address.replace(/\./g, '\\.')}\\s+${m.name}$`, 'm'));
    assert.equal(hosts.split('BEGIN kubelab nodes').length, 2, `${label}: one managed block in /etc/hosts`);
    assert.equal((await sh(n.name, 'swapon --show --noheadings')).trim(), '', `${label}: no swap on ${n.name}`);
    const modules = await sh(n.name, 'cat /proc/modules');
    assert.match(modules, /^br_netfilter /m);
    assert.match(modules, /^overlay /m);
    assert.equal(
      (await sh(n.name, 'sysctl -n net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.ip_forward')).trim(),
      '1\n1\n1',
    );
    assert.equal((await sh(n.name, 'systemctl is-active containerd docker')).trim(), 'active\nactive');
    assert.match(await sh(n.name, 'containerd config dump'), /SystemdCgroup = true/);
    assert.match(await sh(n.name, 'docker info --format "{{.ServerVersion}}"'), /\d+\.\d+/);
    // the kubelet's node IP must be the host-only address: it is on eth1, while eth0 has the NAT address
    assert.match(await sh(n.name, 'ip -4 -o addr show eth1'), new RegExp(`inet ${n.address.replace(/\./g, '\\.')}/`));
  }
  // NFS, proven independently of kubelab's own check: worker1 writes through the export, master reads the file
  const server = inv.spec.nodes.find((n) => n.name === inv.spec.nfs!.server)!;
  const client = inv.spec.nodes.find((n) => n.name !== server.name)!;
  const token = `e2e-${label}-${Date.now()}`;
  await sh(
    client.name,
    `set -e; d=$(mktemp -d); mount -t nfs ${server.address}:${inv.spec.nfs!.path} "$d"; echo ${token} > "$d/e2e-probe"; umount "$d"; rmdir "$d"`,
  );
  assert.equal((await sh(server.name, `cat ${inv.spec.nfs!.path}/e2e-probe`)).trim(), token, `${label}: file written over NFS`);
}

describe('e2e: 2 qemu VMs, kubelab up --only os,runtime,nfs', { timeout: 35 * 60_000 }, () => {
  before(async () => {
    mkdirSync(work, { recursive: true });
    const doc = parse(readFileSync(join(repo, 'inventory', 'qemu-lab.yaml'), 'utf8'));
    doc.metadata.name = 'e2e';
    doc.spec.ssh.identityFile = '.kubelab/e2e/id_ed25519';
    doc.spec.provider = { ...doc.spec.provider, sshPortBase: 2320 };
    writeFileSync(invFile, stringify(doc));
    process.chdir(work);
    const loaded = await loadInventory(invFile);
    // fresh VMs every run: stop any left from an earlier run and drop their disks (the base image is kept)
    await vmDown(loaded, { stateDir: stateDir(loaded), cacheDir: cache, log: () => {} });
    rmSync(stateDir(loaded), { recursive: true, force: true });
    inv = reachableInventory(loaded, stateDir(loaded));
  });

  after(async () => {
    for (const t of ssh.values()) await t.close();
    if (!process.env.KUBELAB_E2E_KEEP) await vmDown(inv, { stateDir: stateDir(inv), cacheDir: cache, log: () => {} });
    console.log(`e2e timings: ${Object.entries(timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}s`).join(', ')}`);
  });

  it('vm up boots both VMs (image built or reused) and reports them', async () => {
    const r = await kubelab(['vm', 'up', '-i', invFile, '--output', 'json']);
    timings['vm up'] = r.ms;
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((x) => x.name).sort(), ['master', 'worker1']);
    const status = await kubelab(['vm', 'status', '-i', invFile]);
    assert.equal(status.code, 0, status.stdout);
    assert.match(status.stdout, /master running pid \d+ ssh 127\.0\.0\.1:2320 answers/);
    await connectAll();
    // the VirtualBox trap is really there: every VM has the same NAT address on eth0
    for (const n of inv.spec.nodes) assert.match(await sh(n.name, 'ip -4 -o addr show eth0'), /inet 10\.0\.2\.15\//);
    // a swap file in fstab, as Ubuntu ships /swap.img: the os phase must turn it off for good
    for (const n of inv.spec.nodes) {
      await sh(
        n.name,
        'set -e; if [ ! -f /swapfile ]; then dd if=/dev/zero of=/swapfile bs=1M count=64 status=none; chmod 600 /swapfile; mkswap /swapfile >/dev/null; echo "/swapfile none swap sw 0 0" >> /etc/fstab; fi; swapon /swapfile 2>/dev/null || true; swapon --show',
      );
    }
  });

  it('first up prepares both nodes', async () => {
    const r = await kubelab(['up', '-i', invFile, '--only', 'os,runtime,nfs', '--output', 'json']);
    timings['first up'] = r.ms;
    const s = summaryOf(r);
    assert.equal(r.code, 0, failures(r));
    assert.equal(s.failed, 0);
    assert.equal(s.unreachable, 0);
    assert.ok(s.changed > 10, `first run changed ${s.changed}`);
    await checkNodes('after first up');
  });

  it('second up changes nothing, in a small fraction of the first run', async () => {
    const r = await kubelab(['up', '-i', invFile, '--only', 'os,runtime,nfs', '--output', 'json']);
    timings['second up'] = r.ms;
    const s = summaryOf(r);
    assert.equal(r.code, 0, failures(r));
    assert.equal(s.changed, 0, r.stdout.split('\n').filter((l) => l.includes('"outcome":"changed"')).join('\n'));
    assert.ok(r.ms < timings['first up']! / 3, `second run ${r.ms} ms vs first ${timings['first up']} ms`);
  });

  it('after both VMs reboot, everything still holds and up changes nothing', async () => {
    const t0 = Date.now();
    await vmReboot(inv, { stateDir: stateDir(inv), cacheDir: cache, log: (m) => console.log(m) });
    timings.reboot = Date.now() - t0;
    await connectAll();
    // SSH answers before the boot is finished (docker may still be activating): wait for systemd to settle
    for (const n of inv.spec.nodes) await sh(n.name, 'systemctl is-system-running --wait >/dev/null || true');
    await checkNodes('after reboot');
    const r = await kubelab(['up', '-i', invFile, '--only', 'os,runtime,nfs', '--output', 'json']);
    timings['up after reboot'] = r.ms;
    assert.equal(r.code, 0, failures(r));
    assert.equal(summaryOf(r).changed, 0, r.stdout.split('\n').filter((l) => l.includes('"outcome":"changed"')).join('\n'));
  });
});
