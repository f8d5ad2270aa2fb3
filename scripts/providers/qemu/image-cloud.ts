/**
 * Cloud images: the given image is the overlays' backing file; per-VM identity (hostname, root's SSH key,
 * NIC names by MAC, host-only address) goes on a NoCloud seed disk (vfat, label CIDATA), made without
 * mounting anything (mkfs.vfat -C + mcopy: apt packages dosfstools and mtools).
 */
import { KubelabError } from '../../util/errors.js';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { haveCommand, run } from './exec.js';
import { NAT_HOST_ADDRESS, NAT_ROUTE_METRIC } from './guest-files.js';

export interface CloudBootImage {
  readonly kind: 'cloud';
  readonly disk: string;
  readonly format: 'qcow2' | 'raw';
}

interface SeedInput {
  readonly cluster: string;
  readonly node: string;
  /** "192.168.56.10/24" */
  readonly address: string;
  readonly publicKey: string;
  readonly natMac: string;
  readonly hostonlyMac: string;
}

interface SeedFiles {
  readonly 'meta-data': string;
  readonly 'user-data': string;
  readonly 'network-config': string;
}

/** The three NoCloud files. instance-id is stable per cluster+node, so cloud-init runs its per-instance steps once. */
export function cloudSeedFiles(s: SeedInput): SeedFiles {
  const metaData = { 'instance-id': `kubelab-${s.cluster}-${s.node}`, 'local-hostname': s.node };
  const userData = {
    hostname: s.node,
    preserve_hostname: false,
    // kubelab's os phase owns /etc/hosts: cloud-init must not rewrite it at every boot
    manage_etc_hosts: false,
    disable_root: false,
    ssh_pwauth: false,
    ssh_authorized_keys: [s.publicKey.trim()],
    users: [{ name: 'root', ssh_authorized_keys: [s.publicKey.trim()] }],
    ssh_deletekeys: true,
  };
  const networkConfig = {
    version: 2,
    ethernets: {
      nat: { match: { macaddress: s.natMac }, 'set-name': 'eth0', dhcp4: true, dhcp6: false, routes: [{ to: 'default', via: NAT_HOST_ADDRESS, metric: NAT_ROUTE_METRIC }] },
      hostonly: { match: { macaddress: s.hostonlyMac }, 'set-name': 'eth1', dhcp4: false, dhcp6: false, addresses: [s.address] },
    },
  };
  return {
    'meta-data': YAML.stringify(metaData),
    'user-data': `#cloud-config\n${YAML.stringify(userData)}`,
    'network-config': YAML.stringify(networkConfig),
  };
}

export async function seedToolsMissing(): Promise<string[]> {
  const missing: string[] = [];
  if (!(await haveCommand('mkfs.vfat'))) missing.push('mkfs.vfat (apt package dosfstools)');
  if (!(await haveCommand('mcopy'))) missing.push('mcopy (apt package mtools)');
  return missing;
}

/** Write a 1 MiB vfat NoCloud seed image at `dest` (atomically replaced). */
export async function writeSeedImage(dest: string, files: SeedFiles): Promise<void> {
  const missing = await seedToolsMissing();
  if (missing.length) throw new KubelabError(`cannot make the cloud-init seed, missing: ${missing.join(', ')}`, 'install the missing packages, then run again');
  const work = await mkdtemp(join(tmpdir(), 'kubelab-seed-'));
  try {
    const img = `${dest}.tmp-${process.pid}`;
    await rm(img, { force: true });
    await run('mkfs.vfat', ['-C', '-n', 'CIDATA', img, '1024']);
    const env = { MTOOLS_SKIP_CHECK: '1' };
    for (const [name, content] of Object.entries(files)) {
      const f = join(work, name);
      await writeFile(f, content);
      await run('mcopy', ['-o', '-i', img, f, `::${name}`], { env });
    }
    await rename(img, dest);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export async function cloudImage(path: string): Promise<CloudBootImage> {
  const r = await run('qemu-img', ['info', '--output=json', path]);
  const info = JSON.parse(r.stdout) as { format?: string };
  if (info.format !== 'qcow2' && info.format !== 'raw') throw new KubelabError(`${path}: unsupported image format ${String(info.format)}`, 'provider.image must be a qcow2 or raw disk image');
  return { kind: 'cloud', disk: path, format: info.format };
}
