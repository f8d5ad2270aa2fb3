/**
 * The cluster-admin kubeconfig kubeadm writes on the control plane (/etc/kubernetes/admin.conf).
 * It holds the admin client key: it is read with logStdout: false, so the per-host command log
 * records only its size, and it never appears in an error message.
 */
import { StepError, tail } from '../engine/errors.js';
import { cutOutput } from '../engine/facts.js';
import type { Transport } from '../transport/types.js';

import { ADMIN_CONF } from '../inventory/topology.js';


export interface ReadAdminOptions {
  /** Default /etc/kubernetes/admin.conf. */
  path?: string;
  /** Default 30 s. */
  timeoutMs?: number;
}

/** The content of admin.conf on the control-plane node behind `transport` (read as root). */
export async function readAdminKubeconfig(transport: Transport, opts: ReadAdminOptions = {}): Promise<string> {
  const path = opts.path ?? ADMIN_CONF;
  const res = await transport.exec(['cat', '--', path], { timeoutMs: opts.timeoutMs ?? 30_000, logStdout: false });
  if (res.code !== 0) {
    const missing = /No such file/i.test(res.stderr);
    throw new StepError(
      `${transport.name}: cannot read ${path} (exit ${res.code})${res.stderr.trim() ? `: ${tail(res.stderr, 2)}` : ''}`,
      missing ? 'the control plane is not initialised yet: run `kubelab up` first' : undefined,
    );
  }
  // a cut output is not the file: refused (the message never quotes the content)
  const cut = cutOutput(`${transport.name}: reading ${path}`, res);
  if (cut) throw cut;
  if (!/^\s*clusters\s*:/m.test(res.stdout)) {
    // Never quote the content: it may hold a key even when it is not a valid kubeconfig.
    throw new StepError(`${transport.name}: ${path} is not a kubeconfig (no clusters: section)`);
  }
  return res.stdout;
}
