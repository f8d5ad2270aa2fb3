/**
 * The SSH identity files an inventory names, checked on the workstation before any connection: each must be a
 * readable private key file. Problems are reported like the loader's, at the inventory field that names the file.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { formatPath, InventoryError, renderValue, type PathSegment, type Problem } from './errors.js';
import { locate } from './locate.js';
import type { Inventory } from './types.js';

/** What is wrong with one identity file, or undefined when it looks like a private key. */
interface FileIssue {
  readonly message: string;
  readonly hint: string;
}

export interface IdentityFileOptions {
  /**
   * A key made by the provider with the VMs (the lab key): when it is missing, `hint` says how to create the VMs
   * rather than how to make a key. `skip` leaves it out (the caller is about to create it).
   */
  readonly providerKey?: { readonly path: string; readonly hint: string; readonly skip?: boolean };
}

const PUBLIC_KEY = /^\s*(ssh-(ed25519|rsa|dss)|ecdsa-sha2-\S+|sk-\S+)\s+AAAA/;
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|^PuTTY-User-Key-File-/m;

async function head(path: string, bytes: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead).toString('latin1');
  } finally {
    await fh.close();
  }
}

async function inspect(path: string, opts: IdentityFileOptions): Promise<FileIssue | undefined> {
  const where = path;
  let text: string;
  try {
    if ((await stat(path)).isDirectory()) {
      return { message: `${where} is a directory, not a private key file`, hint: `name the key file in it, e.g. ${path.replace(/\/+$/, '')}/id_ed25519` };
    }
    text = await head(path, 4096);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      if (opts.providerKey && opts.providerKey.path === path) return { message: `no lab key yet: ${where} does not exist`, hint: opts.providerKey.hint };
      return {
        message: `no such file: ${where}`,
        hint: 'relative paths are relative to the working directory; to make a key: ssh-keygen -t ed25519 -f <file>, then add <file>.pub to the nodes\' ~/.ssh/authorized_keys',
      };
    }
    if (code === 'EACCES') return { message: `cannot read ${where}: permission denied`, hint: 'run kubelab as a user that can read the key, or copy it (mode 0600) to a file you own' };
    return { message: `cannot read ${where}: ${code ?? String(err)}`, hint: 'name a readable private key file' };
  }
  if (PUBLIC_KEY.test(text) || (path.endsWith('.pub') && !PRIVATE_KEY.test(text))) {
    return { message: `${where} is a public key; kubelab needs the private key`, hint: `name the file without .pub${path.endsWith('.pub') ? `: ${path.slice(0, -4)}` : ''}` };
  }
  if (!PRIVATE_KEY.test(text)) {
    return { message: `${where} is not a private key file (no "-----BEGIN ... PRIVATE KEY-----" line)`, hint: 'name the private key that `ssh -i` would use for these nodes' };
  }
  return undefined;
}

/**
 * Throws an InventoryError naming every identity file that is missing, unreadable, a directory, a public key or not
 * a private key, each at file:line:column of the field that names it (the node's own ssh.identityFile, else
 * spec.ssh.identityFile, else spec.provider for the provider's lab key). `inv` as the commands reach it.
 */
export async function checkIdentityFiles(inv: Inventory, file: string, opts: IdentityFileOptions = {}): Promise<void> {
  const issues = new Map<string, Promise<FileIssue | undefined>>();
  const found: { node: number; issue: FileIssue }[] = [];
  for (const [i, node] of inv.spec.nodes.entries()) {
    const path = node.ssh.identityFile;
    if (path === undefined || (opts.providerKey?.skip && opts.providerKey.path === path)) continue;
    if (!issues.has(path)) issues.set(path, inspect(path, opts));
    const issue = await issues.get(path)!;
    if (issue) found.push({ node: i, issue });
  }
  if (!found.length) return;

  const text = await readFile(file, 'utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const fieldOf = (node: number): PathSegment[] => {
    const candidates: PathSegment[][] = [['spec', 'nodes', node, 'ssh', 'identityFile'], ['spec', 'ssh', 'identityFile']];
    return candidates.find((p) => doc.getIn(p) !== undefined) ?? ['spec', 'provider'];
  };
  const problems = new Map<string, Problem>();
  for (const { node, issue } of found) {
    const path = fieldOf(node);
    const key = `${formatPath(path)}\0${issue.message}`;
    if (problems.has(key)) continue;
    const { line, column } = locate(doc, lineCounter, path);
    const raw = doc.getIn(path);
    const value = typeof raw === 'string' ? renderValue(raw) : undefined;
    problems.set(key, { file, line, column, path: formatPath(path), ...(value !== undefined ? { value } : {}), message: issue.message, hint: issue.hint });
  }
  throw new InventoryError(file, [...problems.values()].sort((a, b) => a.line - b.line || a.column - b.column));
}
