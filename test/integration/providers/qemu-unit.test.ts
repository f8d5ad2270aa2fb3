/**
 * Fast, VM-free tests of the qemu provider: identities, argument building, the seed script,
 * the cloud-init seed, accel probe judgement, QMP and SSH-banner clients. The slow VM boot is in e2e.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import YAML from 'yaml';

import { judgeProbe, kvmProbeArgs } from '../../../scripts/providers/qemu/accel.js';
import { guestFiles, SEED_SCRIPT } from '../../../scripts/providers/qemu/guest-files.js';
import { hostonlyAddress, labMacs, nodeMac, nodeSshPort, nodeUuid } from '../../../scripts/providers/qemu/ids.js';
import { cloudSeedFiles, seedToolsMissing, writeSeedImage } from '../../../scripts/providers/qemu/image-cloud.js';
import { debootstrapRecipe, imageDirName, recipeHash, securityMirrorFor } from '../../../scripts/providers/qemu/image-debootstrap.js';
import { nodePaths, vdePaths } from '../../../scripts/providers/qemu/paths.js';
import { socketPath } from '../../../scripts/transport/socket-path.js';
import { accelArgs, buildQemuArgs, kernelCmdline, qemuEscape, type QemuVmSpec } from '../../../scripts/providers/qemu/qemu-args.js';
import { qmpCommand } from '../../../scripts/providers/qemu/qmp.js';
import { sshBanner, waitForSsh } from '../../../scripts/providers/qemu/ssh.js';
import { resolveProvider, vmSize, type QemuLab } from '../../../scripts/providers/qemu/types.js';
import { providerEndpoints } from '../../../scripts/providers/qemu/vm.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBw3Yk8nAhZl0l6ZkO2k2b1Yd0W1Xr5sQm3fV2xYtZ1a kubelab-lab';

function lab(nodes = ['master', 'worker1', 'worker2'], provider?: QemuLab['spec']['provider']): QemuLab {
  return {
    metadata: { name: 'lab' },
    spec: {
      network: { nodeCidr: '192.168.56.0/24' },
      nodes: nodes.map((name, i) => ({ name, role: i === 0 ? 'control-plane' : 'worker', address: `192.168.56.${10 + i}` })),
      ...(provider ? { provider } : {}),
    },
  };
}

const scratch = mkdtempSync(join(tmpdir(), 'kubelab-qemu-unit-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('identities', () => {
  test('UUIDs are stable, RFC 4122 shaped, and differ per node and per cluster', () => {
    const a = nodeUuid('lab', 'master');
    assert.equal(a, nodeUuid('lab', 'master'));
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(a, nodeUuid('lab', 'worker1'));
    assert.notEqual(a, nodeUuid('lab2', 'master'));
  });

  test('MACs are stable, QEMU-prefixed and unique across the lab', () => {
    const l = lab(Array.from({ length: 40 }, (_, i) => `n${i}`));
    const m1 = labMacs(l);
    const m2 = labMacs(l);
    assert.deepEqual([...m1], [...m2]);
    const all = [...m1.values()].flatMap((m) => [m.nat, m.hostonly]);
    assert.equal(new Set(all).size, all.length);
    for (const mac of all) assert.match(mac, /^52:54:00(:[0-9a-f]{2}){3}$/);
    assert.notEqual(nodeMac('lab', 'n0', 'nat', 0), nodeMac('lab', 'n0', 'nat', 1));
    // A node's MACs do not depend on the other nodes.
    assert.deepEqual(labMacs(lab(['master'])).get('master'), labMacs(lab(['master', 'worker1'])).get('master'));
  });

  test('SSH ports follow spec.nodes order from sshPortBase', () => {
    const l = lab(['master', 'worker1'], { type: 'qemu', sshPortBase: 3000 });
    assert.equal(nodeSshPort(l, 'master'), 3000);
    assert.equal(nodeSshPort(l, 'worker1'), 3001);
    assert.throws(() => nodeSshPort(l, 'nope'), /not in cluster/);
    assert.deepEqual([...providerEndpoints(lab(['master', 'worker1']))], [
      ['master', { host: '127.0.0.1', port: 2220 }],
      ['worker1', { host: '127.0.0.1', port: 2221 }],
    ]);
  });

  test('provider defaults', () => {
    const p = resolveProvider(lab());
    assert.equal(p.memory, 2048);
    assert.equal(p.cpus, 2);
    assert.equal(p.sshPortBase, 2220);
    assert.equal(p.accel, 'auto');
    assert.deepEqual(p.image, { type: 'debootstrap', suite: 'bookworm', mirror: 'http://deb.debian.org/debian' });
    assert.deepEqual(vmSize(p, { role: 'worker' }), { memory: 2048, cpus: 2 });
  });

  test('spec.provider.workers sizes the worker VMs; the control plane keeps memory and cpus', () => {
    const p = resolveProvider(lab(['master', 'worker1'], { type: 'qemu', memory: 3072, cpus: 2, workers: { cpus: 1 } }));
    assert.deepEqual(vmSize(p, { role: 'control-plane' }), { memory: 3072, cpus: 2 });
    assert.deepEqual(vmSize(p, { role: 'worker' }), { memory: 3072, cpus: 1 }, 'memory not given for workers: the VMs\' own');
    const q = resolveProvider(lab(['master', 'worker1'], { type: 'qemu', workers: { memory: 1536 } }));
    assert.deepEqual(vmSize(q, { role: 'worker' }), { memory: 1536, cpus: 2 });
  });

  test('host-only address gets the nodeCidr prefix and must lie inside it', () => {
    assert.equal(hostonlyAddress('192.168.56.10', '192.168.56.0/24'), '192.168.56.10/24');
    assert.equal(hostonlyAddress('10.1.2.3', '10.0.0.0/8'), '10.1.2.3/8');
    assert.throws(() => hostonlyAddress('192.168.57.10', '192.168.56.0/24'), /outside/);
    assert.throws(() => hostonlyAddress('192.168.56.300', '192.168.56.0/24'), /not an IPv4/);
  });
});

describe('qemu arguments', () => {
  const spec: QemuVmSpec = {
    name: 'kubelab-lab-master',
    accel: 'tcg',
    memoryMiB: 2048,
    cpus: 2,
    uuid: nodeUuid('lab', 'master'),
    disk: '/s/vms/master/disk.qcow2',
    boot: { kind: 'kernel', kernel: '/c/vmlinuz', initrd: '/c/initrd.img', append: 'root=/dev/vda rw' },
    sshPort: 2220,
    natMac: '52:54:00:00:00:01',
    hostonlyMac: '52:54:00:00:00:02',
    vdeSock: '/s/net/hostonly.vde',
    qmpSock: '/s/vms/master/qmp.sock',
    consoleLog: '/s/vms/master/console.log',
    pidFile: '/s/vms/master/qemu.pid',
    daemonize: true,
  };
  const value = (args: string[], flag: string): string[] => args.flatMap((a, i) => (args[i - 1] === flag ? [a] : []));

  test('kernel boot: NAT NIC with loopback-only SSH forward, vde NIC, identity, daemon', () => {
    const a = buildQemuArgs(spec);
    assert.deepEqual(value(a, '-netdev'), ['user,id=nat,hostfwd=tcp:127.0.0.1:2220-:22', 'vde,id=ho,sock=/s/net/hostonly.vde']);
    const devices = value(a, '-device');
    assert.ok(devices.includes('virtio-net-pci,netdev=nat,mac=52:54:00:00:00:01,addr=0x2'));
    assert.ok(devices.includes('virtio-net-pci,netdev=ho,mac=52:54:00:00:00:02,addr=0x3'));
    assert.deepEqual(value(a, '-uuid'), [spec.uuid]);
    assert.deepEqual(value(a, '-m'), ['2048']);
    assert.deepEqual(value(a, '-smp'), ['2']);
    assert.deepEqual(value(a, '-kernel'), ['/c/vmlinuz']);
    assert.deepEqual(value(a, '-initrd'), ['/c/initrd.img']);
    assert.deepEqual(value(a, '-append'), ['root=/dev/vda rw']);
    assert.deepEqual(value(a, '-serial'), ['file:/s/vms/master/console.log']);
    assert.deepEqual(value(a, '-qmp'), ['unix:/s/vms/master/qmp.sock,server=on,wait=off']);
    assert.deepEqual(value(a, '-pidfile'), ['/s/vms/master/qemu.pid']);
    assert.ok(a.includes('-daemonize'));
    assert.ok(a.includes('-nodefaults'));
    assert.deepEqual(value(a, '-display'), ['none']);
    assert.deepEqual(value(a, '-drive'), ['file=/s/vms/master/disk.qcow2,if=none,id=disk0,format=qcow2,discard=unmap']);
    // No host TAP/bridge networking, ever.
    assert.ok(!a.some((x) => /\b(tap|bridge)\b/.test(x)));
  });

  test('isolated: the NAT restricted to the SSH forward and the listed workstation ports at 10.0.2.2', () => {
    const a = buildQemuArgs({ ...spec, isolated: { hostPorts: [5000, 8080] } });
    assert.equal(
      value(a, '-netdev')[0],
      'user,id=nat,hostfwd=tcp:127.0.0.1:2220-:22,restrict=on,guestfwd=tcp:10.0.2.2:5000-tcp:127.0.0.1:5000,guestfwd=tcp:10.0.2.2:8080-tcp:127.0.0.1:8080',
    );
    assert.equal(value(buildQemuArgs({ ...spec, isolated: { hostPorts: [] } }), '-netdev')[0], 'user,id=nat,hostfwd=tcp:127.0.0.1:2220-:22,restrict=on');
  });

  test('diskCache unsafe: cache=unsafe on the drive (writeback, the default, adds nothing)', () => {
    assert.deepEqual(value(buildQemuArgs({ ...spec, diskCache: 'unsafe' }), '-drive'), ['file=/s/vms/master/disk.qcow2,if=none,id=disk0,format=qcow2,discard=unmap,cache=unsafe']);
    assert.deepEqual(value(buildQemuArgs({ ...spec, diskCache: 'writeback' }), '-drive'), value(buildQemuArgs(spec), '-drive'));
  });

  test('accelerator arguments', () => {
    assert.deepEqual(accelArgs('tcg'), ['-accel', 'tcg,thread=multi', '-cpu', 'max']);
    assert.deepEqual(accelArgs('kvm'), ['-accel', 'kvm', '-cpu', 'host']);
    assert.deepEqual(value(buildQemuArgs({ ...spec, accel: 'kvm' }), '-accel'), ['kvm']);
  });

  test('cloud boot: seed disk, disk is the boot device, no -kernel; foreground without -daemonize', () => {
    const a = buildQemuArgs({ ...spec, boot: { kind: 'cloud', seed: '/s/vms/master/seed.img' }, daemonize: false });
    assert.ok(!a.includes('-kernel'));
    assert.ok(!a.includes('-daemonize'));
    assert.ok(value(a, '-drive').includes('file=/s/vms/master/seed.img,if=none,id=seed,format=raw,readonly=on'));
    assert.ok(value(a, '-device').some((d) => d.startsWith('virtio-blk-pci,drive=disk0') && d.endsWith(',bootindex=0')));
  });

  test('commas in paths are escaped for qemu', () => {
    assert.equal(qemuEscape('/a,b/c'), '/a,,b/c');
    const a = buildQemuArgs({ ...spec, disk: '/x,y/disk.qcow2' });
    assert.ok(value(a, '-drive')[0]!.startsWith('file=/x,,y/disk.qcow2,'));
  });

  test('kernel command line carries hostname, address and the key (base64)', () => {
    const c = kernelCmdline({ hostname: 'master', address: '192.168.56.10/24', publicKey: KEY });
    assert.match(c, /^root=\/dev\/vda rw console=ttyS0 net\.ifnames=0 /);
    assert.match(c, / kubelab\.hostname=master /);
    assert.match(c, / kubelab\.addr=192\.168\.56\.10\/24 /);
    const b64 = /kubelab\.sshkey=(\S+)/.exec(c)![1]!;
    assert.equal(Buffer.from(b64, 'base64').toString('utf8'), KEY);
    assert.ok(!/\s/.test(b64));
    assert.ok(c.length < 2048, 'fits the x86 kernel command line');
    assert.doesNotMatch(c, /clocksource|tsc=/, 'under KVM (or unknown) the kernel picks its clock (kvm-clock)');
    const tcg = kernelCmdline({ hostname: 'master', address: '192.168.56.10/24', publicKey: KEY, accel: 'tcg' }).split(' ');
    assert.deepEqual(tcg.slice(-2), ['clocksource=tsc', 'tsc=reliable'], 'under TCG the clock stays on the TSC, not the HPET');
    assert.equal(kernelCmdline({ hostname: 'master', address: '192.168.56.10/24', publicKey: KEY, accel: 'kvm' }), c);
    assert.throws(() => kernelCmdline({ hostname: 'a b', address: '192.168.56.10/24', publicKey: KEY }), /hostname/);
    assert.throws(() => kernelCmdline({ hostname: 'm', address: '192.168.56.10', publicKey: KEY }), /address/);
  });

  test('paths: long state dirs get short socket paths', () => {
    const short = nodePaths('/tmp/s', 'master');
    assert.equal(short.qmpSock, '/tmp/s/vms/master/qmp.sock');
    const longDir = '/tmp/' + 'x'.repeat(120);
    const p = nodePaths(longDir, 'master');
    assert.ok(Buffer.byteLength(p.qmpSock) < 100);
    assert.equal(p.qmpSock, nodePaths(longDir, 'master').qmpSock);
    assert.ok(Buffer.byteLength(vdePaths(longDir).sockDir) < 100);
    assert.equal(socketPath('/tmp/s', '/tmp/s/a.sock', 'a'), '/tmp/s/a.sock');
  });
});

describe('debootstrap recipe', () => {
  test('hash is stable and follows the recipe', () => {
    const r = debootstrapRecipe('bookworm', 'http://deb.debian.org/debian/');
    assert.equal(r.mirror, 'http://deb.debian.org/debian');
    assert.equal(r.securityMirror, 'http://deb.debian.org/debian-security');
    assert.equal(recipeHash(r), recipeHash(debootstrapRecipe('bookworm', 'http://deb.debian.org/debian')));
    assert.notEqual(recipeHash(r), recipeHash(debootstrapRecipe('trixie', 'http://deb.debian.org/debian')));
    assert.notEqual(recipeHash(r), recipeHash({ ...r, packages: [...r.packages, 'vim'] }));
    assert.match(imageDirName(r), /^debian-bookworm-[0-9a-f]{12}$/);
    assert.ok(r.packages.includes('openssh-server') && r.packages.includes('linux-image-cloud-amd64'));
    assert.ok(r.predownload.includes('containerd') && r.predownload.includes('nfs-common') && r.predownload.includes('ebtables'), 'the kubelet runtime packages need no download in an isolated VM');
    assert.equal(securityMirrorFor('http://mirror.example/debian'), 'http://mirror.example/debian-security');
  });

  test('image files: fstab on /dev/vda, NAT DHCP on eth0, apt sources with security and updates', () => {
    const files = new Map(guestFiles('bookworm', 'http://m/debian', 'http://m/debian-security').map((f) => [f.path, f.content]));
    assert.match(files.get('/etc/fstab')!, /^\/dev\/vda \/ ext4 /);
    assert.match(files.get('/etc/systemd/network/10-nat.network')!, /Name=eth0[\s\S]*DHCP=ipv4/);
    // a default route through the NAT even when its DHCP sends none (restrict=on): host-network pods need one
    assert.match(files.get('/etc/systemd/network/10-nat.network')!, /\[Route\]\nGateway=10\.0\.2\.2\nMetric=2048\n/);
    const src = files.get('/etc/apt/sources.list')!;
    for (const s of ['bookworm main', 'bookworm-updates main', 'debian-security bookworm-security main']) assert.ok(src.includes(s), s);
  });
});

describe('kubelab-seed script (run against a scratch root)', () => {
  const sh = spawnSync('sh', ['-n', '-c', SEED_SCRIPT]);
  test('is valid POSIX sh', () => assert.equal(sh.status, 0, sh.stderr.toString()));

  test('writes hostname, hosts, host-only network and authorized_keys idempotently', () => {
    const root = join(scratch, 'seedroot');
    mkdirSync(join(root, 'etc/systemd/network'), { recursive: true });
    writeFileSync(join(root, 'etc/hostname'), 'kubelab\n');
    writeFileSync(join(root, 'etc/hosts'), '127.0.0.1\tlocalhost\n');
    const cmdline = `root=/dev/vda rw ${kernelCmdline({ hostname: 'worker1', address: '192.168.56.11/24', publicKey: KEY }).split(' ').slice(2).join(' ')}\n`;
    writeFileSync(join(root, 'cmdline'), cmdline);
    // Re-root every path the script touches; never let it look at (or resize) the real root device.
    const script = SEED_SCRIPT.replaceAll('/proc/cmdline', `${root}/cmdline`)
      .replaceAll('/proc/sys/kernel/hostname', `${root}/kernel-hostname`)
      .replaceAll(' /etc/', ` ${root}/etc/`)
      .replaceAll('/root/.ssh', `${root}/root/.ssh`)
      .replaceAll('/var/lib/kubelab-seed', `${root}/var/lib/kubelab-seed`);
    assert.ok(!/[ >]\/(etc|root|proc|var)\//.test(script), 'every absolute path is re-rooted');
    const out1 = execFileSync('sh', ['-c', script], { encoding: 'utf8' });
    assert.match(out1, /wrote .*20-hostonly\.network/);
    assert.equal(readFileSync(join(root, 'etc/hostname'), 'utf8'), 'worker1\n');
    assert.equal(readFileSync(join(root, 'kernel-hostname'), 'utf8'), 'worker1');
    assert.equal(readFileSync(join(root, 'etc/hosts'), 'utf8'), '127.0.0.1\tlocalhost\n127.0.1.1\tworker1\n');
    assert.equal(
      readFileSync(join(root, 'etc/systemd/network/20-hostonly.network'), 'utf8'),
      '[Match]\nName=eth1\n\n[Network]\nAddress=192.168.56.11/24\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n',
    );
    assert.equal(readFileSync(join(root, 'root/.ssh/authorized_keys'), 'utf8'), `${KEY}\n`);
    // Second boot: nothing changes, nothing duplicated.
    const out2 = execFileSync('sh', ['-c', script], { encoding: 'utf8' });
    assert.doesNotMatch(out2, /wrote|added/);
    assert.equal(readFileSync(join(root, 'root/.ssh/authorized_keys'), 'utf8'), `${KEY}\n`);
    assert.equal(readFileSync(join(root, 'etc/hosts'), 'utf8'), '127.0.0.1\tlocalhost\n127.0.1.1\tworker1\n');
    // The admin (kubelab's os phase) rewrites /etc/hosts and the hostname: later boots leave them alone.
    writeFileSync(join(root, 'etc/hosts'), '127.0.0.1\tlocalhost\n192.168.56.11 worker1\n');
    writeFileSync(join(root, 'etc/hostname'), 'renamed\n');
    const out3 = execFileSync('sh', ['-c', script], { encoding: 'utf8' });
    assert.doesNotMatch(out3, /wrote|added/);
    assert.equal(readFileSync(join(root, 'etc/hosts'), 'utf8'), '127.0.0.1\tlocalhost\n192.168.56.11 worker1\n');
    assert.equal(readFileSync(join(root, 'etc/hostname'), 'utf8'), 'renamed\n');
  });
});

describe('cloud-init NoCloud seed', () => {
  const input = {
    cluster: 'lab',
    node: 'master',
    address: '192.168.56.10/24',
    publicKey: KEY,
    natMac: '52:54:00:aa:bb:01',
    hostonlyMac: '52:54:00:aa:bb:02',
  };

  test('files: root key, hostname, NICs matched by MAC, static host-only address', () => {
    const f = cloudSeedFiles(input);
    assert.ok(f['user-data'].startsWith('#cloud-config\n'));
    const ud = YAML.parse(f['user-data']) as Record<string, unknown>;
    assert.equal(ud.disable_root, false);
    assert.deepEqual(ud.ssh_authorized_keys, [KEY]);
    assert.equal(ud.hostname, 'master');
    const md = YAML.parse(f['meta-data']) as Record<string, unknown>;
    assert.equal(md['instance-id'], 'kubelab-lab-master');
    const nc = YAML.parse(f['network-config']) as { version: number; ethernets: Record<string, Record<string, unknown>> };
    assert.equal(nc.version, 2);
    assert.deepEqual(nc.ethernets.nat!.match, { macaddress: '52:54:00:aa:bb:01' });
    assert.equal(nc.ethernets.nat!.dhcp4, true);
    assert.deepEqual(nc.ethernets.nat!.routes, [{ to: 'default', via: '10.0.2.2', metric: 2048 }]);
    assert.equal(nc.ethernets.hostonly!['set-name'], 'eth1');
    assert.deepEqual(nc.ethernets.hostonly!.addresses, ['192.168.56.10/24']);
  });

  test('vfat image labelled CIDATA with the three files', async (t) => {
    const missing = await seedToolsMissing();
    if (missing.length) return t.skip(`missing ${missing.join(', ')}`);
    const img = join(scratch, 'seed.img');
    const files = cloudSeedFiles(input);
    await writeSeedImage(img, files);
    await writeSeedImage(img, files); // replaces an existing one
    const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
    const label = execFileSync('mlabel', ['-i', img, '-s', '::'], { encoding: 'utf8', env });
    assert.match(label, /CIDATA/);
    for (const [name, content] of Object.entries(files)) {
      assert.equal(execFileSync('mtype', ['-i', img, `::${name}`], { encoding: 'utf8', env }), content);
    }
  });
});

describe('accel probe judgement', () => {
  test('probe argv boots the kernel into a missing root with -no-reboot', () => {
    const a = kvmProbeArgs({ kernel: '/k', initrd: '/i' });
    assert.ok(a.includes('-no-reboot') && a.includes('/k') && a.includes('/i'));
    assert.match(a[a.indexOf('-append') + 1]!, /panic=1/);
    assert.ok(kvmProbeArgs().some((x) => x.includes('isa-debugcon')));
  });
  test('verdicts', () => {
    assert.equal(judgeProbe('... Gave up waiting for root file system device ... reboot: Restarting system', 0, false, true).ok, true);
    assert.equal(judgeProbe('', null, true, true).ok, false);
    assert.equal(judgeProbe('KVM internal error. Suberror: 1', null, true, true).ok, false);
    const msr = judgeProbe("error: failed to set MSR 0x10a to 0x69\nkvm_buf_set_msrs: Assertion failed", 134, false, true);
    assert.equal(msr.ok, false);
    assert.equal(judgeProbe('SeaBIOS ... No bootable device.', null, false, false).ok, true);
  });
});

describe('QMP and SSH banner clients', () => {
  test('QMP: greeting, capabilities, command', async () => {
    const sock = join(scratch, 'qmp.sock');
    const seen: string[] = [];
    const server = net.createServer((c) => {
      c.write('{"QMP": {"version": {}, "capabilities": []}}\r\n');
      let buf = '';
      c.on('data', (d) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const msg = JSON.parse(buf.slice(0, nl)) as { execute: string };
          buf = buf.slice(nl + 1);
          seen.push(msg.execute);
          if (msg.execute === 'query-status') {
            c.write('{"event": "X", "timestamp": {}}\r\n{"return": {"status": "running", "running": true}}\r\n');
          } else if (msg.execute === 'bogus') {
            c.write('{"error": {"class": "CommandNotFound", "desc": "The command bogus has not been found"}}\r\n');
          } else c.write('{"return": {}}\r\n');
        }
      });
    });
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      assert.deepEqual(await qmpCommand(sock, 'query-status'), { status: 'running', running: true });
      await assert.rejects(qmpCommand(sock, 'bogus'), /has not been found/);
      assert.deepEqual(seen, ['qmp_capabilities', 'query-status', 'qmp_capabilities', 'bogus']);
    } finally {
      server.close();
    }
    await assert.rejects(qmpCommand(join(scratch, 'nope.sock'), 'quit', undefined, 1000), /QMP/);
  });

  test('SSH banner: answers, silence and a late server', async () => {
    const server = net.createServer((c) => c.end('SSH-2.0-OpenSSH_9.2p1 Debian\r\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    assert.equal(await sshBanner('127.0.0.1', port, 2000), 'SSH-2.0-OpenSSH_9.2p1 Debian');
    server.close();
    // Like slirp's hostfwd before the guest's sshd is up: accept, then close without a banner.
    const mute = net.createServer((c) => c.end());
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const mutePort = (mute.address() as net.AddressInfo).port;
    assert.equal(await sshBanner('127.0.0.1', mutePort, 1000), null);
    await assert.rejects(waitForSsh(mutePort, 1500, { intervalMs: 200 }), /no SSH banner/);
    mute.close();
    // A server that appears after a while.
    const late = net.createServer((c) => c.end('SSH-2.0-late\r\n'));
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const latePort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    setTimeout(() => late.listen(latePort, '127.0.0.1'), 700);
    const w = await waitForSsh(latePort, 10_000, { intervalMs: 200 });
    assert.equal(w.banner, 'SSH-2.0-late');
    late.close();
    await assert.rejects(waitForSsh(latePort, 5000, { intervalMs: 100, alive: () => false }), /stopped/);
  });
});
