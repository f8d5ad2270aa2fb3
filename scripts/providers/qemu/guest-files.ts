/**
 * Files baked into the debootstrap base image. Everything per-VM (hostname, host-only address,
 * root's SSH key) arrives on the kernel command line and is applied by kubelab-seed at every boot.
 */

export interface GuestFile {
  /** Absolute path inside the guest. */
  readonly path: string;
  readonly mode: number;
  readonly content: string;
}

/** Kernel command line keys read by kubelab-seed. */
export const CMDLINE_KEYS = {
  hostname: 'kubelab.hostname',
  address: 'kubelab.addr',
  sshKey: 'kubelab.sshkey',
} as const;

export const SEED_SCRIPT = `#!/bin/sh
# kubelab-seed: apply this VM's identity from the kernel command line, at every boot, idempotently.
#   kubelab.hostname=NAME  kubelab.addr=A.B.C.D/LEN  kubelab.sshkey=BASE64(one public key line)
set -eu
hn=; addr=; key=
for w in $(cat /proc/cmdline); do
  case "$w" in
    kubelab.hostname=*) hn="\${w#kubelab.hostname=}" ;;
    kubelab.addr=*) addr="\${w#kubelab.addr=}" ;;
    kubelab.sshkey=*) key="\${w#kubelab.sshkey=}" ;;
  esac
done
case "$hn" in *[!a-zA-Z0-9.-]*) echo "kubelab-seed: ignoring bad hostname" >&2; hn= ;; esac
case "$addr" in *[!0-9./]*) echo "kubelab-seed: ignoring bad address" >&2; addr= ;; esac

# put_file PATH MODE < content: replace PATH only when the content differs
put_file() {
  tmp="$(mktemp "$1.XXXXXX")"
  cat > "$tmp"
  if [ -f "$1" ] && cmp -s "$tmp" "$1"; then rm -f "$tmp"; return 0; fi
  chmod "$2" "$tmp"
  mv -f "$tmp" "$1"
  echo "kubelab-seed: wrote $1"
}

# The hostname is seeded once, at first boot (as cloud-init does): afterwards /etc/hostname and /etc/hosts
# belong to the admin (kubelab's os phase manages them), and a reboot must not undo their changes.
if [ -n "$hn" ] && [ ! -e /var/lib/kubelab-seed/hostname ]; then
  install -d -m 0755 /var/lib/kubelab-seed
  printf '%s\\n' "$hn" > /var/lib/kubelab-seed/hostname
  printf '%s\\n' "$hn" | put_file /etc/hostname 0644
  printf '%s' "$hn" > /proc/sys/kernel/hostname
  # the image's /etc/hosts has no 127.0.1.1 line: the name resolves locally until kubelab's os phase maps it
  if ! grep -q '^127\\.0\\.1\\.1[[:space:]]' /etc/hosts; then
    { cat /etc/hosts; printf '127.0.1.1\\t%s\\n' "$hn"; } | put_file /etc/hosts 0644
  fi
fi

if [ -n "$addr" ]; then
  printf '[Match]\\nName=eth1\\n\\n[Network]\\nAddress=%s\\nLinkLocalAddressing=no\\nIPv6AcceptRA=no\\n' "$addr" \\
    | put_file /etc/systemd/network/20-hostonly.network 0644
fi

if [ -n "$key" ]; then
  line="$(printf '%s' "$key" | base64 -d)"
  install -d -m 0700 /root/.ssh
  [ -f /root/.ssh/authorized_keys ] || install -m 0600 /dev/null /root/.ssh/authorized_keys
  grep -qxF -- "$line" /root/.ssh/authorized_keys || { printf '%s\\n' "$line" >> /root/.ssh/authorized_keys; echo "kubelab-seed: added SSH key"; }
fi
`;

const SEED_UNIT = `[Unit]
Description=kubelab: per-VM hostname, host-only address and SSH key from the kernel command line
DefaultDependencies=no
After=local-fs.target systemd-remount-fs.service
Before=sysinit.target network-pre.target systemd-networkd.service ssh.service
Wants=network-pre.target
ConditionKernelCommandLine=|kubelab.hostname
ConditionKernelCommandLine=|kubelab.addr
ConditionKernelCommandLine=|kubelab.sshkey

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/kubelab-seed

[Install]
WantedBy=sysinit.target
`;

/**
 * Ed25519 and ECDSA only: an RSA-3072 key takes tens of seconds under software emulation and no
 * client kubelab uses needs it (sshd serves the host keys that exist).
 */
const SSH_KEYGEN_UNIT = `[Unit]
Description=kubelab: generate this VM's SSH host keys (the base image carries none)
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/bin/ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key
ExecStart=/usr/bin/ssh-keygen -q -t ecdsa -N "" -f /etc/ssh/ssh_host_ecdsa_key

[Install]
WantedBy=ssh.service multi-user.target
`;

/** The VM's overlay is larger than the base filesystem: grow it online, off the boot's critical path. */
const GROWFS_UNIT = `[Unit]
Description=kubelab: grow the root filesystem to the size of the VM disk
After=local-fs.target
ConditionPathIsReadWrite=/

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'root="$$(findmnt -no SOURCE /)"; case "$$root" in /dev/vd*) exec resize2fs "$$root" ;; esac'

[Install]
WantedBy=multi-user.target
`;

/** The workstation as the VMs see it through user-mode NAT (VirtualBox NAT: the same), and the NAT's gateway. */
export const NAT_HOST_ADDRESS = '10.0.2.2';
/**
 * The NAT's default route, set statically with a metric above DHCP's (1024): user-mode NAT with restrict=on
 * (isolated labs) sends no router in its DHCP answers, and a node without a default route breaks Kubernetes the
 * way a lab must not: host-network pods (flannel) dial the API's Service address 10.96.0.1 and get "network is
 * unreachable" before kube-proxy's rules apply. VirtualBox NAT always has the route; with restrict=on the
 * packets it carries are dropped by qemu, so isolation holds.
 */
export const NAT_ROUTE_METRIC = 2048;
const NAT_DEFAULT_ROUTE_NETWORKD = `[Route]\nGateway=${NAT_HOST_ADDRESS}\nMetric=${NAT_ROUTE_METRIC}\n`;

export function guestFiles(suite: string, mirror: string, securityMirror: string): GuestFile[] {
  return [
    { path: '/etc/fstab', mode: 0o644, content: '/dev/vda / ext4 defaults,errors=remount-ro 0 1\n' },
    { path: '/etc/hostname', mode: 0o644, content: 'kubelab\n' },
    {
      path: '/etc/hosts',
      mode: 0o644,
      content: '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n',
    },
    // user-mode NAT always serves DNS on 10.0.2.3 (as VirtualBox NAT does).
    { path: '/etc/resolv.conf', mode: 0o644, content: 'nameserver 10.0.2.3\n' },
    {
      path: '/etc/apt/sources.list',
      mode: 0o644,
      content:
        `deb ${mirror} ${suite} main\n` +
        `deb ${mirror} ${suite}-updates main\n` +
        `deb ${securityMirror} ${suite}-security main\n`,
    },
    {
      path: '/etc/systemd/network/10-nat.network',
      mode: 0o644,
      content: `[Match]\nName=eth0\n\n[Network]\nDHCP=ipv4\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n\n${NAT_DEFAULT_ROUTE_NETWORKD}`,
    },
    {
      // Do not hold boot for two minutes when the host-only link has no carrier.
      path: '/etc/systemd/system/systemd-networkd-wait-online.service.d/kubelab.conf',
      mode: 0o644,
      content: '[Service]\nExecStart=\nExecStart=/usr/lib/systemd/systemd-networkd-wait-online --any --timeout=30\n',
    },
    {
      path: '/etc/ssh/sshd_config.d/kubelab.conf',
      mode: 0o644,
      content: 'PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n',
    },
    { path: '/usr/local/sbin/kubelab-seed', mode: 0o755, content: SEED_SCRIPT },
    { path: '/etc/systemd/system/kubelab-seed.service', mode: 0o644, content: SEED_UNIT },
    { path: '/etc/systemd/system/kubelab-ssh-keygen.service', mode: 0o644, content: SSH_KEYGEN_UNIT },
    { path: '/etc/systemd/system/kubelab-growfs.service', mode: 0o644, content: GROWFS_UNIT },
  ];
}

/** Units enabled / masked in the image (systemctl --root, offline). */
export const ENABLE_UNITS = ['systemd-networkd.service', 'kubelab-seed.service', 'kubelab-ssh-keygen.service', 'kubelab-growfs.service'];
/** apt's daily timers would grab the dpkg lock while kubelab installs packages. */
export const MASK_UNITS = ['apt-daily.timer', 'apt-daily-upgrade.timer'];
