/**
 * Host-key pinning in an OpenSSH known_hosts file (one per cluster, e.g. .kubelab/<cluster>/known_hosts).
 *
 * Lines are written as `[host]:port keytype base64` (bare `host` for port 22, as OpenSSH does),
 * so `ssh -o UserKnownHostsFile=<file>` and `ssh-keygen -F/-R ... -f <file>` work on the same file.
 * Reading also understands comma-separated host lists, hashed hosts (|1|salt|hash) and the
 * @revoked marker; wildcard patterns and @cert-authority lines are ignored.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFile, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import { shQuote } from './quote.js';
import { TransportError } from './types.js';

export interface HostKey {
  /** Key type from the blob, e.g. ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256. */
  type: string;
  /** The blob, base64 (the third field of a known_hosts line). */
  base64: string;
  /** OpenSSH-style fingerprint: SHA256:<unpadded base64>. */
  fingerprint: string;
}

interface KnownHostEntry extends HostKey {
  marker?: '@revoked' | '@cert-authority';
  line: number;
}

type VerifyResult = 'known' | 'recorded';

/** The key type is the first SSH string (uint32 length + bytes) of the public key blob. */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) throw new Error('host key blob too short');
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) throw new Error('host key blob has no valid key type');
  const type = blob.subarray(4, 4 + len).toString('latin1');
  if (!/^[\x21-\x7e]+$/.test(type)) throw new Error('host key blob has no valid key type');
  return type;
}

export function fingerprintOfBlob(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function hostKeyFromBlob(blob: Buffer): HostKey {
  return { type: keyTypeOfBlob(blob), base64: blob.toString('base64'), fingerprint: fingerprintOfBlob(blob) };
}

/** The host field OpenSSH uses: `[host]:port`, or bare host for port 22. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    try {
      const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
      return mac === hash;
    } catch {
      return false;
    }
  }
  for (const pattern of field.split(',')) {
    if (pattern.startsWith('!')) continue; // negations only make sense with wildcards; not supported
    if (/[*?]/.test(pattern)) continue;
    if (pattern.toLowerCase() === name) return true;
  }
  return false;
}

/** Parse the entries for host:port out of known_hosts text. */
export function findEntries(text: string, host: string, port: number): KnownHostEntry[] {
  const name = knownHostsName(host, port);
  const out: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m !== '@revoked' && m !== '@cert-authority') continue;
      marker = m;
    }
    const [hosts, type, base64] = fields;
    if (!hosts || !type || !base64) continue;
    if (!hostFieldMatches(hosts, name)) continue;
    let fingerprint = '(unparsable key)';
    try {
      fingerprint = fingerprintOfBlob(Buffer.from(base64, 'base64'));
    } catch {
      /* keep placeholder */
    }
    out.push({ type, base64, fingerprint, line: i + 1, ...(marker ? { marker } : {}) });
  }
  return out;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}


function forgetHint(file: string, host: string, port: number): string {
  return `if the node was reinstalled and the new key is expected, remove the old key with: ssh-keygen -R ${shQuote(knownHostsName(host, port))} -f ${shQuote(file)}`;
}

/**
 * One known_hosts file. Its read-check-write sequences are serialised by this object: transports that share a
 * file within a process share one KnownHosts (the session passes it); appends are single small O_APPEND writes.
 */
export class KnownHosts {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  private withLock<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }

  async entries(host: string, port: number): Promise<KnownHostEntry[]> {
    return findEntries(await readText(this.file), host, port);
  }

  /**
   * Drop every key recorded for host:port (a VM whose disk was just created has new host keys: its old key
   * must not stop it). Returns how many lines were removed.
   */
  forget(host: string, port: number): Promise<number> {
    return this.withLock(async () => {
      const text = await readText(this.file);
      const name = knownHostsName(host, port);
      const lines = text.split('\n');
      const kept = lines.filter((l) => {
        const first = l.trim().split(/\s+/)[0] ?? '';
        return first.startsWith('#') || !hostFieldMatches(first.startsWith('@') ? (l.trim().split(/\s+/)[1] ?? '') : first, name);
      });
      if (kept.length !== lines.length) await writeFile(this.file, kept.join('\n'), { mode: 0o600 });
      return lines.length - kept.length;
    });
  }

  /** Append a key for host:port (creates the directory 0700 and the file 0600). */
  async add(host: string, port: number, blob: Buffer): Promise<void> {
    const key = hostKeyFromBlob(blob);
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    await appendFile(this.file, `${knownHostsName(host, port)} ${key.type} ${key.base64}\n`, { mode: 0o600 });
    await chmod(this.file, 0o600);
  }

  /**
   * Trust on first use: a host with no entry gets `blob` recorded ('recorded'); a host whose
   * entry matches is accepted ('known'); anything else throws TransportError('hostkey').
   * `node` is the node name used in the error (defaults to host).
   */
  verify(host: string, port: number, blob: Buffer, node: string = host): Promise<VerifyResult> {
    return this.withLock(async () => {
      const presented = hostKeyFromBlob(blob);
      const entries = await this.entries(host, port);
      const revoked = entries.find((e) => e.marker === '@revoked' && e.base64 === presented.base64);
      if (revoked) {
        throw new TransportError(
          'hostkey',
          node,
          `host key ${presented.fingerprint} presented by ${host}:${port} is marked @revoked in ${this.file} (line ${revoked.line})`,
        );
      }
      const pinned = entries.filter((e) => !e.marker);
      if (pinned.some((e) => e.type === presented.type && e.base64 === presented.base64)) return 'known';
      if (pinned.length === 0) {
        await this.add(host, port, blob);
        return 'recorded';
      }
      const sameType = pinned.filter((e) => e.type === presented.type);
      const old = (sameType.length > 0 ? sameType : pinned).map((e) => `${e.fingerprint} (${e.type})`).join(', ');
      throw new TransportError(
        'hostkey',
        node,
        `REMOTE HOST KEY CHANGED for ${host}:${port}: ${this.file} pins ${old}, but the host presented ` +
          `${presented.fingerprint} (${presented.type}); refusing to connect (possible man-in-the-middle)`,
        forgetHint(this.file, host, port),
      );
    });
  }
}

