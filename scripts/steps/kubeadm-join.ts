import { StepError, tail } from '../engine/errors.js';
import type { Change, HostContext, Step } from '../engine/types.js';
import { kubeNode, type KubeNode } from '../facts/kube-node.js';
import { BOOTSTRAP_KUBELET_CONF, CLUSTER_CA, KUBELET_CONF, kubeadmFiles } from '../facts/kubeadm-files.js';
import { clusterCaCertHash, JOIN_TOKEN_TTL_MINUTES, joinToken } from '../k8s/join-token.js';
import { remoteFact } from '../engine/remote-facts.js';
import { apiServerEndpoint, initNode } from '../inventory/topology.js';
import { CA_HASH_PLACEHOLDER, kubeadmYaml, renderJoinConfig, TOKEN_PLACEHOLDER } from '../render/kubeadm.js';
import { waitMs } from '../inventory/timing.js';
import { assumedVersion } from '../inventory/versions.js';
import { redact } from '../transport/redact.js';
import { installedKubeadm, KUBELAB_KUBEADM_DIR, resetHint } from './kubeadm-init.js';
import { outdatedNodeIp } from './kubelet-node-ip.js';
import { forgetUnfinished, markFinished, markStarted, resetUnfinished, unfinishedFact } from './kubeadm-unfinished.js';

/** The JoinConfiguration holds the bootstrap token: uploaded 0600 just before the join, removed right after. */
export const JOIN_CONFIG = `${KUBELAB_KUBEADM_DIR}/kubeadm-join.yaml`;
/** times spec.timing.waitFactor (waitMs) */
export const JOIN_TIMEOUT_MS = 10 * 60_000;

/** A Node that is NotReady only because no pod network is installed yet (the network phase comes after join). */
export function waitsForNetwork(node: Extract<KubeNode, { registered: true }>): boolean {
  return node.ready === 'False' && /network not ready|NetworkPluginNotReady|cni plugin not initialized/i.test(node.message);
}

async function join(h: HostContext): Promise<void> {
  const name = h.node.name;
  const version = await installedKubeadm(h);
  if (version === null) throw new StepError(`kubeadm is not installed on ${name}`, 'run kubelab up --only packages first');
  const [token, caCertHash] = await Promise.all([joinToken(h), clusterCaCertHash(h)]);
  const secrets = [token];
  const content = kubeadmYaml([renderJoinConfig(h.inv, h.node, { kubernetesVersion: version, token, caCertHash })]);
  let failure: unknown;
  try {
    await h.transport.put(content, JOIN_CONFIG, { mode: 0o600, secrets });
    await markStarted(h, 'join');
    const r = await h.transport.exec(['kubeadm', 'join', '--config', JOIN_CONFIG], { timeoutMs: waitMs(h.inv, JOIN_TIMEOUT_MS), secrets });
    if (r.code !== 0) {
      throw new StepError(
        `kubeadm join on ${name} exited ${r.code}: ${redact(tail(r.stderr || r.stdout), secrets)}`,
        `the host log has kubeadm's full output; once its cause is fixed, kubelab up resets ${name} and joins it again`,
      );
    }
    await markFinished(h, 'join');
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    // the token must not stay on the node, whatever happened; a failure here must not hide the join's own
    try {
      await h.transport.exec(['rm', '-f', '--', JOIN_CONFIG]);
    } catch (err) {
      if (failure === undefined) throw err;
    }
  }
}

/**
 * `kubeadm join` for a worker, once. A worker with kubelet.conf whose Node the control plane knows is left
 * alone (NotReady for want of a pod network is fine here); kubelet.conf without a registered Node, or
 * kubeadm's files without kubelet.conf, is an error with the reset command. A fresh worker joins with a
 * JoinConfiguration (bootstrap token created once per run on the control plane, CA pinned by its hash).
 */
export const kubeadmJoinStep: Step = {
  name: 'kubeadm-join',
  appliesTo: (node) => node.role === 'worker',
  // the token and CA hash are placeholders: the token is a secret, created only when `up` joins the node
  files: ({ inv, node }) => [
    {
      scope: 'node',
      path: JOIN_CONFIG,
      content: kubeadmYaml([
        renderJoinConfig(inv, node, { kubernetesVersion: assumedVersion(inv), token: TOKEN_PLACEHOLDER, caCertHash: CA_HASH_PLACEHOLDER }),
      ]),
    },
  ],
  async plan(host) {
    const name = host.node.name;
    const cp = initNode(host.inv);
    const files = await host.facts.get(kubeadmFiles);
    const joinChange = (version: string | null): Change => ({
      description:
        `join ${name} to the cluster at ${apiServerEndpoint(host.inv)}` +
        `${version === null ? ' (after kubeadm is installed)' : ''}` +
        ` (a bootstrap token with a ${JOIN_TOKEN_TTL_MINUTES}m TTL is created on ${cp.name} when applying)`,
      apply: join,
    });
    // a join kubelab started and that did not finish (interrupted or failed): reset and join again, unless the
    // Node got registered all the same (then the join did its work)
    const unfinished = files.has(KUBELET_CONF) || files.has(BOOTSTRAP_KUBELET_CONF) || files.has(CLUSTER_CA) ? await host.facts.get(unfinishedFact('join')) : null;
    const again = async (record: string): Promise<Change[] | null> => {
      const version = await installedKubeadm(host);
      return version === null ? null : [resetUnfinished(name, 'join', record), joinChange(version)];
    };
    if (files.has(KUBELET_CONF)) {
      const node = await remoteFact(host, cp, kubeNode(name));
      if (unfinished !== null && !node.registered) {
        const changes = await again(unfinished);
        if (changes) return changes;
      }
      if (!node.registered) {
        throw new StepError(
          `${name} has ${KUBELET_CONF} but the cluster on ${cp.name} has no Node ${name} (joined to an earlier cluster?)`,
          resetHint(name),
        );
      }
      // the join got through, though its end was not seen: the record goes, so that it cannot reset this node later
      // a kubelet still on its old --node-ip cannot report Ready: the next step (kubelet-node-ip) moves it
      if (node.ready === 'True' || waitsForNetwork(node) || (await outdatedNodeIp(host))) return unfinished !== null ? [forgetUnfinished(name, 'join')] : [];
      throw new StepError(
        `${name} is joined but not Ready (${node.ready}${node.reason ? `, ${node.reason}` : ''}${node.message ? `: ${node.message}` : ''})`,
        `look at the kubelet on ${name} (systemctl status kubelet; journalctl -u kubelet); if it cannot be repaired, ${resetHint(name)}`,
      );
    }
    const leftovers = [BOOTSTRAP_KUBELET_CONF, CLUSTER_CA].filter((p) => files.has(p));
    if (leftovers.length) {
      const changes = unfinished !== null ? await again(unfinished) : null;
      if (changes) return changes;
      throw new StepError(`${name} is half-joined: found ${leftovers.join(', ')} but no ${KUBELET_CONF}`, resetHint(name));
    }
    return [joinChange(await installedKubeadm(host))];
  },
};
