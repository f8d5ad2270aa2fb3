/**
 * The `Host` blocks of an OpenSSH client configuration, as `vagrant ssh-config` prints them (one block per
 * machine: HostName, User, Port, IdentityFile, ...). Keywords are case-insensitive; `Key value` and `Key=value`
 * both work; a value may be double-quoted (Vagrant quotes key paths with spaces); `#` lines are comments.
 */
import { UsageError } from '../util/errors.js';

export interface SshConfigHost {
  /** The name after `Host` (Vagrant: the machine name). */
  readonly name: string;
  readonly hostName?: string;
  readonly user?: string;
  readonly port?: number;
  /** Every IdentityFile, in order. */
  readonly identityFiles: readonly string[];
}

const unquote = (v: string): string => (v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v);

/** The Host blocks of `text`, in order; `source` names it in errors (a file name, or "stdin"). */
export function parseSshConfig(text: string, source: string): SshConfigHost[] {
  const hosts: { name: string; hostName?: string; user?: string; port?: number; identityFiles: string[] }[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) throw new UsageError(`${source}:${i + 1}: expected "Keyword value", got ${JSON.stringify(raw)}`, 'pass the output of `vagrant ssh-config`');
    const key = m[1]!.toLowerCase();
    const value = unquote(m[2]!.trim());
    if (key === 'host') {
      if (/\s|[*?!]/.test(value)) throw new UsageError(`${source}:${i + 1}: Host ${value}: one machine name expected, not a pattern`);
      hosts.push({ name: value, identityFiles: [] });
      continue;
    }
    const host = hosts.at(-1);
    if (!host) throw new UsageError(`${source}:${i + 1}: ${m[1]} before the first Host line`, 'pass the output of `vagrant ssh-config`');
    if (key === 'hostname') host.hostName = value;
    else if (key === 'user') host.user = value;
    else if (key === 'identityfile') host.identityFiles.push(value);
    else if (key === 'port') {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${source}:${i + 1}: Port ${value}: not a port number`);
      host.port = port;
    }
  }
  if (!hosts.length) throw new UsageError(`${source}: no Host block`, 'pass the output of `vagrant ssh-config` (run it where the Vagrantfile is, with the VMs up)');
  return hosts;
}
