import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { KubeConfig, VersionApi } from '@kubernetes/client-node';

import { StepError } from '../engine/errors.js';
import { readAdminKubeconfig } from '../k8s/admin-kubeconfig.js';
import { apiMessage } from '../k8s/apply.js';
import { API_SERVER_PORT, apiServerIdentity, certNameFor, apiConnectTimeouts, connectApi, httpsUrl, type ApiConnection } from '../k8s/connect.js';
import {
  contextName,
  kubeconfigYaml,
  mergeKubeconfig,
  renameKubeconfig,
  writeFileAtomic,
} from '../k8s/kubeconfig-file.js';
import { defaultOutput } from '../report/index.js';
import { shJoin } from '../transport/quote.js';
import type { InventoryNode } from '../inventory/types.js';
import type { CliContext } from './cli-context.js';
import { UsageError } from '../util/errors.js';
import { parseCommon } from './options.js';
import { loadReachable, openSession } from './session.js';
import { initNode } from '../inventory/topology.js';

/** Knobs for tests (a fake admin.conf and API server); the CLI passes none. */
interface KubeconfigCommandOptions {
  adminConfPath?: string;
  forwardPort?: number;
  directTimeoutMs?: number;
}

/**
 * `kubelab kubeconfig [-i FILE] [--merge]`: admin.conf from the control plane, written to
 * .kubelab/<cluster>/kubeconfig as context/cluster/user `kubelab-<cluster>` with the server at the control-plane
 * address; --merge also adds/replaces that context in ~/.kube/config (KUBECONFIG's first path). Checks that
 * the API server answers, directly or only through SSH (then prints how to open a tunnel).
 * Exit 0 when the API server answered, 1 otherwise (the file is written either way).
 */
export async function kubeconfigCommand(args: string[], ctx: CliContext, opts: KubeconfigCommandOptions = {}): Promise<number> {
  const { common, values, positionals } = parseCommon(args, { merge: { type: 'boolean', default: false } });
  if (positionals.length) {
    throw new UsageError(`kubeconfig: unexpected argument "${positionals[0]}"; usage: kubelab kubeconfig [-i FILE] [--merge]`);
  }
  const json = (common.output ?? defaultOutput(ctx.stdout)) === 'json';
  const inv = await loadReachable(common.inventory, ctx, false);
  let node: InventoryNode;
  try {
    node = initNode(inv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const session = await openSession(inv, ctx, { nodes: [node.name], connectTimeoutMs: common.connectTimeoutMs });
  try {
    const transport = session.transports.get(node);
    const admin = await readAdminKubeconfig(transport, { path: opts.adminConfPath });

    // The file for the workstation: the control-plane address, verified against a name in the certificate
    // (so that the same file also works through a tunnel with --server https://127.0.0.1:<port>).
    const adminKc = new KubeConfig();
    try {
      adminKc.loadFromString(admin);
    } catch {
      throw new StepError(`${node.name}: admin.conf cannot be parsed`);
    }
    const id = apiServerIdentity(adminKc);
    const name = contextName(inv.metadata.name);
    const server = httpsUrl(node.address, id.port);
    const tlsServerName = certNameFor(id, '127.0.0.1');
    const file = path.join(session.stateDir, 'kubeconfig');
    const doc = renameKubeconfig(admin, { name, server, tlsServerName });
    await writeFileAtomic(file, kubeconfigYaml(doc), 0o600);

    let merged: { path: string; currentContext: string; replaced: boolean } | undefined;
    if (values.merge === true) {
      const target = ctx.settings.userKubeconfig;
      let existing: string | undefined;
      try {
        existing = await readFile(target, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      const m = mergeKubeconfig(existing, doc, target);
      await writeFileAtomic(target, m.text, 0o600);
      merged = { path: target, currentContext: m.currentContext, replaced: m.replaced };
    }

    // Does the API server answer, and how?
    let conn: ApiConnection | undefined;
    let version: string | undefined;
    let failure: StepError | undefined;
    try {
      conn = await connectApi({
        kubeconfigYaml: admin,
        controlPlane: { name: node.name, address: node.address, transport },
        ...apiConnectTimeouts(inv),
        ...(opts.directTimeoutMs !== undefined ? { directTimeoutMs: opts.directTimeoutMs } : {}),
        forwardPort: opts.forwardPort,
      });
      version = (await conn.kc.makeApiClient(VersionApi).getCode()).gitVersion;
    } catch (err) {
      if (err instanceof StepError) failure = err;
      else failure = new StepError(`the API server at ${conn?.server ?? server} did not answer /version: ${apiMessage(err)}`);
    } finally {
      await conn?.close();
    }
    const apiPort = opts.forwardPort ?? API_SERVER_PORT;
    const tunnel =
      !failure && conn?.via === 'ssh-forward'
        ? shJoin([
            'ssh', '-N', '-L', `${apiPort}:127.0.0.1:${apiPort}`, '-p', String(node.ssh.port),
            ...(node.ssh.identityFile ? ['-i', node.ssh.identityFile] : []),
            `${node.ssh.user}@${node.ssh.host}`,
          ])
        : undefined;
    const kubectl = `kubectl --kubeconfig ${shJoin([display(file)])} --server https://127.0.0.1:${apiPort} get nodes`;

    if (json) {
      ctx.stdout.write(
        `${JSON.stringify({
          type: 'kubeconfig',
          file,
          context: name,
          server,
          ...(tlsServerName ? { tlsServerName } : {}),
          ...(merged ? { merged: merged.path, currentContext: merged.currentContext } : {}),
          reachable: !failure,
          ...(conn && !failure ? { via: conn.via, version } : {}),
          ...(conn?.directError ? { directError: conn.directError } : {}),
          ...(tunnel ? { tunnel, kubectl } : {}),
          ...(failure ? { error: failure.message, hint: failure.hint } : {}),
        })}\n`,
      );
    } else {
      const out: string[] = [`wrote ${display(file)} (context ${name}, server ${server}, mode 0600)`];
      if (merged) {
        out.push(
          `${merged.replaced ? 'replaced' : 'added'} context ${name} in ${merged.path} (current context: ${merged.currentContext})`,
        );
      }
      if (conn && !failure) {
        out.push(
          conn.via === 'direct'
            ? `API server ${version ?? '?'} answers at ${server}`
            : `API server ${version ?? '?'} answers only through SSH to ${node.name} (direct: ${conn.directError ?? '?'})`,
        );
      }
      ctx.stdout.write(`${out.join('\n')}\n`);
      if (tunnel) ctx.stdout.write(`hint: from here the file needs a tunnel: keep \`${tunnel}\` open, then \`${kubectl}\`\n`);
      if (failure) ctx.stderr.write(`kubelab: ${failure.message}${failure.hint ? `\n  hint: ${failure.hint}` : ''}\n`);
    }
    return failure ? 1 : 0;
  } catch (err) {
    if (!(err instanceof StepError)) throw err;
    ctx.stderr.write(`kubelab: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}\n`);
    return 1;
  } finally {
    await session.close();
  }
}

/** A path relative to the working directory when it is inside it. */
function display(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}
