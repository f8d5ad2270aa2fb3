import { StepError } from '../engine/errors.js';
import { pollUntil } from '../engine/poll.js';
import type { HostContext, Step } from '../engine/types.js';
import { fileContent } from '../facts/file.js';
import { requireHeldAddress } from '../facts/interfaces.js';
import { kubeadmFiles, KUBELET_CONF } from '../facts/kubeadm-files.js';
import { waitMs } from '../inventory/timing.js';
import { clusterApi } from '../k8s/cluster-api.js';
import { summarizeNode } from '../k8s/nodes.js';
import { flagValue, kubeadmFlags, KUBEADM_FLAGS_ENV, withKubeadmFlag } from '../render/kubelet-flags.js';

/** times spec.timing.waitFactor: how long the kubelet may take to report the new address after its restart. */
export const NODE_IP_WAIT_MS = 2 * 60_000;

async function waitInternalIp(h: HostContext): Promise<void> {
  const api = await clusterApi(h.cluster);
  const timeoutMs = waitMs(h.inv, NODE_IP_WAIT_MS);
  await pollUntil(
    async () => {
      const live = (await api.listNodes()).map(summarizeNode).find((n) => n.name === h.node.name);
      return { done: live?.internalIp === h.node.address, detail: live ? `InternalIP ${live.internalIp ?? 'none'}` : 'no Node object' };
    },
    {
      timeoutMs,
      intervalMs: Math.min(2000, Math.max(50, timeoutMs / 20)),
      timeout: (seen) =>
        new StepError(
          `${h.node.name}'s kubelet runs with --node-ip=${h.node.address} but its Node still reports ${seen} after ${Math.round(timeoutMs / 1000)} s`,
          `check the kubelet on ${h.node.name} (journalctl -u kubelet); /etc/default/kubelet KUBELET_EXTRA_ARGS may override --node-ip`,
        ),
    },
  );
}

/**
 * The kubelet flags file of a node kubeadm has set up, when its --node-ip is not the inventory address (`was`:
 * the flag's value); undefined when it is, or before kubeadm wrote the file (the address comes from kubelab's
 * config then). Such a kubelet cannot post its Node's status (its address is gone): the Node stays NotReady until
 * kubeletNodeIpStep has moved it.
 */
export async function outdatedNodeIp(host: HostContext): Promise<{ text: string; was: string | undefined } | undefined> {
  if (!(await host.facts.get(kubeadmFiles)).has(KUBELET_CONF)) return undefined;
  const text = await host.facts.get(fileContent(KUBEADM_FLAGS_ENV));
  if (text === null) return undefined;
  const was = flagValue(kubeadmFlags(text) ?? [], 'node-ip');
  return was === host.node.address ? undefined : { text, was };
}

/**
 * The kubelet's --node-ip in kubeadm's flags file is the node's inventory address. kubeadm writes the file once,
 * at init or join, with the address of that day; when the host-only address changed since (and the inventory with
 * it), the flag is set to the new address, the kubelet restarted, and the step waits until the Node reports it as
 * its InternalIP. A node kubeadm has not initialised or joined yet is left to kubeadm.
 */
export const kubeletNodeIpStep: Step = {
  name: 'kubelet-node-ip',
  async plan(host) {
    const outdated = await outdatedNodeIp(host);
    if (!outdated) return [];
    const { text, was } = outdated;
    await requireHeldAddress(host, `${host.node.name}'s kubelet (--node-ip ${was ?? 'unset'})`);
    const content = withKubeadmFlag(text, 'node-ip', host.node.address);
    return [
      {
        description: `kubelet --node-ip ${was ?? 'unset'} -> ${host.node.address} in ${KUBEADM_FLAGS_ENV}, restart kubelet`,
        apply: async (h) => {
          await h.transport.put(content, KUBEADM_FLAGS_ENV, { mode: 0o644 });
          await h.run(['systemctl', 'restart', 'kubelet']);
          await waitInternalIp(h);
        },
      },
    ];
  },
};
