import type { ExecOptions, ExecResult, PutOptions, Transport } from '../../scripts/transport/types.js';
import { TransportError } from '../../scripts/transport/types.js';

/**
 * A simulated Debian node for engine tests: a file map, a hostname, swaps, modules and sysctl values, answering
 * the commands the os phase uses. Unknown commands fail loudly, so a step using something new shows up here.
 */
export class SimHost implements Transport {
  files = new Map<string, string>();
  hostname = 'debian';
  swaps = ['/swapfile'];
  masked = new Set<string>();
  modules = new Set<string>(['ext4']);
  sysctl = new Map<string, string>([['net.ipv4.ip_forward', '0']]);
  commands: string[] = [];
  puts: string[] = [];
  unreachable = false;
  connects = 0;

  constructor(
    readonly name: string,
    os = 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
  ) {
    this.files.set('/etc/os-release', os);
    this.files.set('/etc/hostname', 'debian\n');
    this.files.set('/etc/hosts', '127.0.0.1 localhost\n127.0.1.1 debian\n');
    this.files.set('/etc/fstab', '/dev/vda / ext4 rw 0 1\n/swapfile none swap sw 0 0\n');
  }

  async connect(): Promise<void> {
    this.connects++;
    if (this.unreachable) throw new TransportError('unreachable', this.name, `cannot reach ${this.name}:22: ECONNREFUSED`);
  }

  async close(): Promise<void> {}

  async put(content: string | Buffer, dest: string, _opts: PutOptions): Promise<void> {
    this.puts.push(dest);
    this.files.set(dest, content.toString());
  }

  async exec(argv: readonly string[], _opts?: ExecOptions): Promise<ExecResult> {
    if (this.unreachable) throw new TransportError('unreachable', this.name, 'connection lost');
    this.commands.push(argv.join(' '));
    const ok = (stdout = ''): ExecResult => ({ stdout, stderr: '', code: 0, durationMs: 0 });
    const [cmd, ...args] = argv;
    switch (cmd) {
      case 'cat': {
        if (args[0] === '/proc/swaps') return ok(`Filename Type Size Used Priority\n${this.swaps.map((s) => `${s} file 1024 0 -2\n`).join('')}`);
        const f = this.files.get(args[0]!);
        return f === undefined ? { stdout: '', stderr: 'No such file', code: 1, durationMs: 0 } : ok(f);
      }
      case 'sh':
        if (args[1]?.includes('/proc/modules')) {
          return ok(`${[...this.modules].map((m) => `${m} 1 0 - Live 0x0\n`).join('')}${args[3]}\n`);
        }
        if (args[1]?.includes('test -e')) {
          const f = this.files.get(args[3]!);
          return f === undefined ? { stdout: '', stderr: '', code: 3, durationMs: 0 } : ok(f);
        }
        break;
      case 'hostname':
        if (args[0]) this.hostname = args[0];
        return ok(`${this.hostname}\n`);
      case 'swapoff':
        this.swaps = [];
        return ok();
      case 'systemctl':
        if (args[0] === 'daemon-reload') return ok();
        if (args[0] === 'mask') {
          for (const u of args.slice(2)) this.masked.add(u);
          return ok();
        }
        if (args[0] === 'list-units') {
          const fromFstab = /^\/swapfile\s/m.test(this.files.get('/etc/fstab') ?? '');
          const units = new Set([...(fromFstab ? ['swapfile.swap'] : []), ...this.masked]);
          return ok([...units].map((u) => `${u} ${this.masked.has(u) ? 'masked' : 'loaded'} inactive dead x\n`).join(''));
        }
        break;
      case 'modprobe':
        this.modules.add(args[1]!);
        if (args[1] === 'br_netfilter') {
          this.sysctl.set('net.bridge.bridge-nf-call-iptables', '0');
          this.sysctl.set('net.bridge.bridge-nf-call-ip6tables', '0');
        }
        return ok();
      case 'sysctl':
        if (args[0] === '-p') {
          for (const m of (this.files.get(args[1]!) ?? '').matchAll(/^([\w.-]+) = (\S+)$/gm)) {
            if (!this.sysctl.has(m[1]!)) return { stdout: '', stderr: `cannot stat ${m[1]}`, code: 255, durationMs: 0 };
            this.sysctl.set(m[1]!, m[2]!);
          }
          return ok();
        }
        if (args[0] === '-e') {
          return ok(args.slice(1).filter((k) => this.sysctl.has(k)).map((k) => `${k} = ${this.sysctl.get(k)}\n`).join(''));
        }
        break;
    }
    return { stdout: '', stderr: `sim: unknown command ${argv.join(' ')}`, code: 127, durationMs: 0 };
  }
}
