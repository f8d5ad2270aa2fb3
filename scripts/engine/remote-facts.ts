import { StepError, tail } from './errors.js';
import { FactCache, RecordingFacts } from './facts.js';
import type { ClusterContext, Fact, Facts, HostContext } from './types.js';
import type { InventoryNode } from '../inventory/types.js';
import { redact } from '../transport/redact.js';
import { TransportError, type ExecOptions, type ExecResult } from '../transport/types.js';

/**
 * Reading and running things on another node than the step's host (a worker asking the control plane), through
 * the run's transport pool. Facts of another node are cached for the run in `cluster.state` under
 * remoteFactsKey(name) (a FactCache created on first use; tests put recorded facts there). A transport problem
 * on the other node becomes a StepError naming that node, so the engine does not take the step's own host for
 * unreachable.
 */
export function remoteFactsKey(nodeName: string): string {
  return `facts:${nodeName}`;
}

export function remoteFacts(host: HostContext, node: InventoryNode): Facts {
  const key = remoteFactsKey(node.name);
  let facts = host.cluster.state.get(key) as Facts | undefined;
  if (!facts) {
    facts = new FactCache(host.cluster.transports.get(node));
    host.cluster.state.set(key, facts);
  }
  const recorder = host.cluster.recorder;
  if (recorder && facts instanceof FactCache) {
    return new RecordingFacts(facts, recorder, { node: node.name, for: host.node.name, ...(host.scope ?? {}) });
  }
  return facts;
}

/** Forgets what other nodes' steps read about `nodeName`: called after a change is applied to that node. */
export function clearRemoteFacts(cluster: ClusterContext, nodeName: string): void {
  (cluster.state.get(remoteFactsKey(nodeName)) as Facts | undefined)?.clear();
}

function onNode(node: InventoryNode, err: unknown): never {
  if (err instanceof TransportError) throw new StepError(`on ${node.name}: ${err.message}`, err.hint);
  throw err;
}

/** A fact of another node (cached for the run). */
export async function remoteFact<T>(host: HostContext, node: InventoryNode, fact: Fact<T>): Promise<T> {
  try {
    return await remoteFacts(host, node).get(fact);
  } catch (err) {
    return onNode(node, err);
  }
}

/** Runs a command on another node; a non-zero exit is a StepError naming the node. */
export async function remoteRun(
  host: HostContext,
  node: InventoryNode,
  argv: readonly string[],
  opts: ExecOptions & { what: string },
): Promise<ExecResult> {
  let result: ExecResult;
  try {
    result = await host.cluster.transports.get(node).exec(argv, opts);
  } catch (err) {
    return onNode(node, err);
  }
  if (result.code !== 0) {
    const detail = redact(tail(result.stderr || result.stdout), opts.secrets);
    throw new StepError(`${opts.what} on ${node.name} exited ${result.code}${detail ? `: ${detail}` : ''}`);
  }
  return result;
}
