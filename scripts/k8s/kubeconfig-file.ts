/**
 * kubeconfig files for the workstation: admin.conf renamed to one context `kubelab-<cluster>`, and that
 * context merged into a user's kubeconfig without touching the other entries.
 *
 * Kubeconfigs hold keys: parse errors are reported without the parser's message (it quotes the text).
 */
import { isObj, type Obj } from '../util/objects.js';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';

import { parse, stringify } from 'yaml';

import { StepError } from '../engine/errors.js';


export interface NamedEntry extends Obj {
  name: string;
}

/** A kubeconfig as data (the parts kubelab writes; other keys of a merged file are kept as they are). */
export interface KubeconfigDoc extends Obj {
  apiVersion: string;
  kind: string;
  clusters: NamedEntry[];
  users: NamedEntry[];
  contexts: NamedEntry[];
  'current-context': string;
}

const LISTS = ['clusters', 'users', 'contexts'] as const;

/** kubeconfig context (and cluster and user) name for an inventory's cluster. */
export function contextName(clusterName: string): string {
  return `kubelab-${clusterName}`;
}

function parseYaml(text: string, what: string): unknown {
  try {
    return parse(text);
  } catch {
    throw new StepError(`${what} is not valid YAML`);
  }
}

function entry(doc: Obj, list: (typeof LISTS)[number], name: string, what: string): Obj {
  const items = doc[list];
  const found = Array.isArray(items) ? items.find((e) => isObj(e) && e.name === name) : undefined;
  const body = isObj(found) ? found[list.slice(0, -1)] : undefined;
  if (!isObj(body)) throw new StepError(`${what} has no ${list.slice(0, -1)} named "${name}"`);
  return body;
}

/**
 * The current context of `kubeconfigYaml` (admin.conf) as a kubeconfig with a single context, cluster and
 * user, all named `name`; the cluster's server set to `server` and its tls-server-name to `tlsServerName`
 * (removed when undefined).
 */
export function renameKubeconfig(
  kubeconfigYaml: string,
  opts: { name: string; server: string; tlsServerName?: string },
  what = 'admin.conf',
): KubeconfigDoc {
  const doc = parseYaml(kubeconfigYaml, what);
  if (!isObj(doc)) throw new StepError(`${what} is not a kubeconfig`);
  const contexts = Array.isArray(doc.contexts) ? doc.contexts.filter(isObj) : [];
  const current = typeof doc['current-context'] === 'string' && doc['current-context'] ? doc['current-context'] : undefined;
  const ctxName = current ?? (contexts.length === 1 ? String(contexts[0]!.name) : undefined);
  if (ctxName === undefined) throw new StepError(`${what} has no current-context`);
  const context = entry(doc, 'contexts', ctxName, what);
  const cluster: Obj = { ...entry(doc, 'clusters', String(context.cluster), what), server: opts.server };
  if (opts.tlsServerName) cluster['tls-server-name'] = opts.tlsServerName;
  else delete cluster['tls-server-name'];
  const user = entry(doc, 'users', String(context.user), what);
  const newContext: Obj = { cluster: opts.name, user: opts.name };
  if (typeof context.namespace === 'string' && context.namespace) newContext.namespace = context.namespace;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: opts.name, cluster }],
    users: [{ name: opts.name, user: { ...user } }],
    contexts: [{ name: opts.name, context: newContext }],
    'current-context': opts.name,
    preferences: {},
  };
}

export function kubeconfigYaml(doc: Obj): string {
  // lineWidth 0: never fold long values (certificates, keys).
  return stringify(doc, { lineWidth: 0 });
}

export interface MergeResult {
  text: string;
  /** The merged file's current-context. */
  currentContext: string;
  /** Whether entries with the incoming names were already there (and were replaced). */
  replaced: boolean;
}

/**
 * Adds (or replaces, by name) the incoming clusters, users and contexts to an existing kubeconfig; every other
 * entry and key is kept. current-context is kept, unless the existing file had none (missing or empty file):
 * then it becomes the incoming one.
 */
export function mergeKubeconfig(existingText: string | undefined, incoming: KubeconfigDoc, what = 'the kubeconfig'): MergeResult {
  const parsed = existingText === undefined ? null : parseYaml(existingText, what);
  if (parsed !== null && parsed !== undefined && !isObj(parsed)) throw new StepError(`${what} is not a kubeconfig (not a mapping)`);
  const doc: Obj = { ...(parsed ?? {}) };
  // apiVersion, kind, preferences: the existing file's win.
  for (const [key, value] of Object.entries(incoming)) {
    if (!(LISTS as readonly string[]).includes(key) && key !== 'current-context' && doc[key] == null) doc[key] = value;
  }
  let replaced = false;
  for (const list of LISTS) {
    const current = doc[list] ?? [];
    if (!Array.isArray(current)) throw new StepError(`${what} is not a kubeconfig (${list} is not a list)`);
    const merged: unknown[] = [...current];
    for (const e of incoming[list]) {
      const at = merged.findIndex((x) => isObj(x) && x.name === e.name);
      if (at === -1) merged.push(e);
      else {
        merged[at] = e;
        replaced = true;
      }
    }
    doc[list] = merged;
  }
  const kept = doc['current-context'];
  const currentContext = typeof kept === 'string' && kept !== '' ? kept : incoming['current-context'];
  doc['current-context'] = currentContext;
  return { text: kubeconfigYaml(doc), currentContext, replaced };
}

/**
 * Writes `content` to `file` atomically (temp file in the same directory, fsync, rename) with `mode`; a
 * symlink is followed, so the file it points at is replaced. Missing directories are created (0700).
 */
export async function writeFileAtomic(file: string, content: string, mode: number): Promise<void> {
  let target = path.resolve(file);
  try {
    target = await realpath(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const dir = path.dirname(target);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(target)}.kubelab-${randomBytes(6).toString('hex')}`);
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(content, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, mode); // the umask may have narrowed or the mode argument been ignored
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
