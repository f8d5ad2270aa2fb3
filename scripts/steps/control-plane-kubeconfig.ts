import type { Step } from '../engine/types.js';
import { userKubeconfig } from '../facts/user-kubeconfig.js';
import { ADMIN_CONF, initNode } from '../inventory/topology.js';

/**
 * The SSH login user's ~/.kube/config as a copy of admin.conf (mode 0600, owned by the user), so kubectl works
 * on the control plane without flags. Copied on the node: the file holds a client key and never travels.
 */
export const controlPlaneKubeconfigStep: Step = {
  name: 'control-plane-kubeconfig',
  appliesTo: (node, inv) => node.name === initNode(inv).name,
  async plan(host) {
    const user = host.node.ssh.user;
    const s = await host.facts.get(userKubeconfig(user));
    if (s.state === 'same') return [];
    const dest = `${s.home}/.kube/config`;
    const description =
      s.state === 'no-admin'
        ? `copy ${ADMIN_CONF} to ${dest} (after kubeadm init)`
        : s.state === 'missing'
          ? `copy ${ADMIN_CONF} to ${dest}`
          : `rewrite ${dest} as a copy of ${ADMIN_CONF}`;
    return [
      {
        description,
        apply: async (h) =>
          void (await h.run([
            'sh',
            '-c',
            [
              'set -e',
              'g=$(id -gn "$1")',
              'install -d -m 0700 -o "$1" -g "$g" "$2/.kube"',
              'install -m 0600 -o "$1" -g "$g" "$3" "$2/.kube/config"',
            ].join('\n'),
            'sh',
            user,
            s.home,
            ADMIN_CONF,
          ])),
      },
    ];
  },
};
