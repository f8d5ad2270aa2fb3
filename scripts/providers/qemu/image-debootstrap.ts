/**
 * The debootstrap base image: built once per recipe into <cacheDir>/debian-<suite>-<hash>/ holding
 *   disk.raw (ext4, the root filesystem, sparse), vmlinuz, initrd.img (from the image's /boot), image.json.
 * Built in a temp dir next to it and renamed into place, so a half-built image is never reused.
 */
import { KubelabError } from '../../util/errors.js';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readdir, readFile, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { haveCommand, run } from './exec.js';
import { ENABLE_UNITS, guestFiles, MASK_UNITS, type GuestFile } from './guest-files.js';
import { exists } from './paths.js';

/** Bump to force a rebuild when the build steps (not just the data below) change. */
const RECIPE_VERSION = 2;

const DEBOOTSTRAP_HINT = 'the base image build went wrong: delete the .build-* folder in the image cache and run again';
const MOUNTED_HINT = 'unmount them (umount -l PATH) and run again';

const BASE_PACKAGES: readonly string[] = [
  'systemd-sysv',
  'udev',
  'dbus', // systemd cgroup driver (containerd/runc) talks to systemd over D-Bus; logind handles ACPI power-off
  'openssh-server',
  'linux-image-cloud-amd64',
  'initramfs-tools',
  'kmod',
  'iproute2',
  'iputils-ping',
  'netbase',
  'procps',
  'e2fsprogs',
  'ca-certificates',
  'sudo',
  'less',
  'gnupg',
  'curl',
  'apt-transport-https',
  'iptables',
  'conntrack',
  'socat',
  'ethtool',
];

/** Downloaded into /var/cache/apt/archives (not installed) so later in-VM installs need no download. */
const PREDOWNLOAD_PACKAGES: readonly string[] = ['containerd', 'docker.io', 'runc', 'nfs-kernel-server', 'nfs-common', 'ebtables'];

const DISK_SIZE = '8G';

interface DebootstrapRecipe {
  readonly version: number;
  readonly suite: string;
  readonly mirror: string;
  readonly securityMirror: string;
  readonly packages: readonly string[];
  readonly predownload: readonly string[];
  readonly diskSize: string;
  readonly files: readonly GuestFile[];
  readonly enable: readonly string[];
  readonly mask: readonly string[];
}

/** http://deb.debian.org/debian -> http://deb.debian.org/debian-security */
export function securityMirrorFor(mirror: string): string {
  const m = mirror.replace(/\/+$/, '');
  return /\/debian$/.test(m) ? `${m}-security` : `${m.replace(/\/[^/]*$/, '')}/debian-security`;
}

export function debootstrapRecipe(suite: string, mirror: string): DebootstrapRecipe {
  const mir = mirror.replace(/\/+$/, '');
  const sec = securityMirrorFor(mir);
  return {
    version: RECIPE_VERSION,
    suite,
    mirror: mir,
    securityMirror: sec,
    packages: BASE_PACKAGES,
    predownload: PREDOWNLOAD_PACKAGES,
    diskSize: DISK_SIZE,
    files: guestFiles(suite, mir, sec),
    enable: ENABLE_UNITS,
    mask: MASK_UNITS,
  };
}

export function recipeHash(recipe: DebootstrapRecipe): string {
  return createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 12);
}

export function imageDirName(recipe: DebootstrapRecipe): string {
  return `debian-${recipe.suite}-${recipeHash(recipe)}`;
}

export interface KernelBootImage {
  readonly kind: 'kernel';
  readonly dir: string;
  /** Raw ext4 image of the root filesystem (used read-only as the overlays' backing file). */
  readonly disk: string;
  readonly format: 'raw';
  readonly kernel: string;
  readonly initrd: string;
}

interface ImageBuildInfo {
  readonly recipeHash: string;
  readonly builtAt: string;
  readonly kernelVersion: string;
  readonly timingsMs: Record<string, number>;
}

function imageOf(dir: string): KernelBootImage {
  return {
    kind: 'kernel',
    dir,
    disk: join(dir, 'disk.raw'),
    format: 'raw',
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
  };
}

async function isComplete(dir: string): Promise<boolean> {
  const img = imageOf(dir);
  for (const f of [img.disk, img.kernel, img.initrd, join(dir, 'image.json')]) if (!(await exists(f))) return false;
  return true;
}

/** Set on top of the inherited environment for debootstrap and chroot. */
const CHROOT_ENV: Readonly<Record<string, string>> = {
  DEBIAN_FRONTEND: 'noninteractive',
  DEBCONF_NONINTERACTIVE_SEEN: 'true',
  LC_ALL: 'C',
  LANG: 'C',
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
};

/** Mount points at or below `dir` (deepest first). */
async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
}

async function unmountAll(rootfs: string): Promise<void> {
  for (const m of await mountsUnder(rootfs)) await run('umount', ['-l', m], { allowFail: true });
}

/** rm -r that refuses to descend into anything still mounted (host /proc, /sys, /dev/pts). */
async function safeRemove(dir: string): Promise<void> {
  await unmountAll(dir);
  const left = await mountsUnder(dir);
  if (left.length) throw new KubelabError(`not removing ${dir}: still mounted: ${left.join(', ')}`, MOUNTED_HINT);
  await rm(dir, { recursive: true, force: true });
}

async function writeGuestFile(rootfs: string, f: GuestFile): Promise<void> {
  const dest = join(rootfs, f.path);
  await mkdir(dirname(dest), { recursive: true });
  await rm(dest, { force: true }); // may be a symlink (resolv.conf)
  await writeFile(dest, f.content, { mode: f.mode });
  await chmod(dest, f.mode);
}

async function missingBuildTools(): Promise<string[]> {
  const need: Record<string, string> = { debootstrap: 'debootstrap', 'mkfs.ext4': 'e2fsprogs', chroot: 'coreutils', systemctl: 'systemd' };
  const missing: string[] = [];
  for (const [cmd, pkg] of Object.entries(need)) if (!(await haveCommand(cmd))) missing.push(`${cmd} (apt package ${pkg})`);
  return missing;
}

/**
 * Return the cached image for this suite/mirror, building it first when absent.
 * Building needs root (debootstrap, chroot) and the Debian mirror.
 */
export async function ensureDebootstrapImage(
  cacheDir: string,
  suite: string,
  mirror: string,
  log: (msg: string) => void,
): Promise<KernelBootImage & { info: ImageBuildInfo; built: boolean }> {
  const recipe = debootstrapRecipe(suite, mirror);
  const hash = recipeHash(recipe);
  const finalDir = join(cacheDir, imageDirName(recipe));
  if (await isComplete(finalDir)) {
    const info = JSON.parse(await readFile(join(finalDir, 'image.json'), 'utf8')) as { build: ImageBuildInfo };
    return { ...imageOf(finalDir), info: info.build, built: false };
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new KubelabError(
      `building the base image ${finalDir} needs root (debootstrap, chroot)`,
      'run `kubelab vm up` once as root (the image is cached for later runs), or set provider.image to a cloud image',
    );
  }
  const missing = await missingBuildTools();
  if (missing.length) throw new KubelabError(`cannot build the base image, missing: ${missing.join(', ')}`, 'install the missing tools, then run again');

  await mkdir(cacheDir, { recursive: true });
  const tmp = join(cacheDir, `.build-${imageDirName(recipe)}-${process.pid}-${Date.now()}`);
  const rootfs = join(tmp, 'rootfs');
  const timings: Record<string, number> = {};
  const t0 = Date.now();
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const s = Date.now();
    log(`image: ${name} ...`);
    const r = await fn();
    timings[name] = Date.now() - s;
    log(`image: ${name} done in ${((Date.now() - s) / 1000).toFixed(1)} s`);
    return r;
  };
  const chroot = (args: string[], timeoutMs = 20 * 60_000) =>
    run('chroot', [rootfs, ...args], { env: CHROOT_ENV, timeoutMs, maxBytes: 256 * 1024 });

  log(`image: building ${finalDir} (debootstrap ${suite} from ${recipe.mirror}); this takes a few minutes, once`);
  try {
    await mkdir(tmp, { recursive: true });
    await step('debootstrap', () =>
      run(
        'debootstrap',
        ['--variant=minbase', '--components=main', `--include=${recipe.packages.join(',')}`, suite, rootfs, recipe.mirror],
        { env: CHROOT_ENV, timeoutMs: 40 * 60_000, maxBytes: 256 * 1024 },
      ),
    );

    await step('configure', async () => {
      // Build-time: no daemons start in the chroot; the host's resolver for apt.
      await writeFile(join(rootfs, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
      for (const f of recipe.files) await writeGuestFile(rootfs, f);
      await rm(join(rootfs, 'etc/resolv.conf'), { force: true });
      await copyFile('/etc/resolv.conf', join(rootfs, 'etc/resolv.conf'));
      for (const sub of ['proc', 'sys', 'dev/pts']) await mkdir(join(rootfs, sub), { recursive: true });
      await run('mount', ['-t', 'proc', 'proc', join(rootfs, 'proc')]);
      await run('mount', ['-t', 'devpts', '-o', 'newinstance,ptmxmode=0666', 'devpts', join(rootfs, 'dev/pts')]);
    });

    await step('apt-upgrade', async () => {
      await chroot(['apt-get', 'update']);
      await chroot(['apt-get', '-y', '-o', 'Dpkg::Options::=--force-confold', 'dist-upgrade']);
    });

    const kernelVersion = await step('kernel', async () => {
      const boot = await readdir(join(rootfs, 'boot'));
      const versions = boot
        .filter((f) => f.startsWith('vmlinuz-'))
        .map((f) => f.slice('vmlinuz-'.length))
        .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
      const v = versions.at(-1);
      if (!v) throw new KubelabError('debootstrap produced no kernel in /boot', DEBOOTSTRAP_HINT);
      if (!boot.includes(`initrd.img-${v}`)) throw new KubelabError(`debootstrap produced no initrd.img-${v} in /boot`, DEBOOTSTRAP_HINT);
      await copyFile(join(rootfs, 'boot', `vmlinuz-${v}`), join(tmp, 'vmlinuz'));
      await copyFile(join(rootfs, 'boot', `initrd.img-${v}`), join(tmp, 'initrd.img'));
      // dist-upgrade may have brought a newer ABI: drop the older kernels (only this one is ever booted).
      const old = versions.filter((x) => x !== v).map((x) => `linux-image-${x}`);
      if (old.length) await chroot(['apt-get', '-y', 'purge', ...old]);
      // The VM boots the kernel kept next to the disk: keep the in-guest kernel (and its modules) at this ABI.
      await chroot(['apt-mark', 'hold', 'linux-image-cloud-amd64', `linux-image-${v}`]);
      return v;
    });

    await step('predownload', async () => {
      // Only what later phases will install stays in the archive cache (not debootstrap's own .debs).
      await chroot(['apt-get', 'clean']);
      await chroot(['apt-get', 'install', '-y', '--download-only', ...recipe.predownload]);
    });

    await step('finalize', async () => {
      await unmountAll(rootfs);
      await chroot(['systemctl', 'enable', ...recipe.enable], 60_000);
      await chroot(['systemctl', 'mask', ...recipe.mask], 60_000);
      // Per-VM identity is created at first boot: machine-id, SSH host keys.
      await writeFile(join(rootfs, 'etc/machine-id'), '');
      const dbusId = join(rootfs, 'var/lib/dbus/machine-id');
      if (await exists(dbusId)) {
        await unlink(dbusId);
        await symlink('/etc/machine-id', dbusId);
      }
      for (const f of await readdir(join(rootfs, 'etc/ssh'))) {
        if (f.startsWith('ssh_host_')) await unlink(join(rootfs, 'etc/ssh', f));
      }
      await writeGuestFile(rootfs, recipe.files.find((f) => f.path === '/etc/resolv.conf')!);
      await writeGuestFile(rootfs, recipe.files.find((f) => f.path === '/etc/hostname')!);
      await rm(join(rootfs, 'usr/sbin/policy-rc.d'), { force: true });
      await rm(join(rootfs, 'var/cache/apt/pkgcache.bin'), { force: true });
      await rm(join(rootfs, 'var/cache/apt/srcpkgcache.bin'), { force: true });
      for (const f of await readdir(join(rootfs, 'var/log'))) {
        const p = join(rootfs, 'var/log', f);
        if ((await stat(p)).isFile()) await writeFile(p, '');
      }
    });

    await step('mkfs', async () => {
      const left = await mountsUnder(rootfs);
      if (left.length) throw new KubelabError(`still mounted in the rootfs: ${left.join(', ')}`, MOUNTED_HINT);
      await run('mkfs.ext4', ['-q', '-F', '-L', 'kubelab-root', '-d', rootfs, join(tmp, 'disk.raw'), recipe.diskSize], {
        timeoutMs: 20 * 60_000,
      });
    });
    await safeRemove(rootfs);

    const info: ImageBuildInfo = { recipeHash: hash, builtAt: new Date().toISOString(), kernelVersion, timingsMs: { ...timings, total: Date.now() - t0 } };
    await writeFile(join(tmp, 'image.json'), JSON.stringify({ build: info, recipe }, null, 2) + '\n');
    try {
      await rename(tmp, finalDir);
    } catch (e) {
      // Someone else finished the same recipe first: use theirs.
      if (await isComplete(finalDir)) await safeRemove(tmp);
      else throw e;
    }
    log(`image: ${finalDir} ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return { ...imageOf(finalDir), info, built: true };
  } catch (e) {
    await safeRemove(tmp).catch((err: Error) => log(`image: could not clean ${tmp}: ${err.message}`));
    throw e;
  }
}
