import { StepError } from '../engine/errors.js';
import type { Fact } from '../engine/types.js';
import { ADMIN_CONF } from '../inventory/topology.js';

export interface UserKubeconfig {
  home: string;
  /**
   * no-admin: /etc/kubernetes/admin.conf does not exist yet; missing: no ~/.kube/config; same: an identical copy
   * owned by the user; different: another file (or the same content owned by someone else).
   */
  state: 'no-admin' | 'missing' | 'same' | 'different';
}

/**
 * Whether `user`'s ~/.kube/config is a copy of admin.conf, compared on the node (cmp): the files hold a client
 * key, so their content never travels or reaches a log.
 */
export function userKubeconfig(user: string): Fact<UserKubeconfig> {
  return {
    key: `user-kubeconfig:${user}`,
    argv: [
      'sh',
      '-c',
      [
        'h=$(getent passwd "$1" | cut -d: -f6)',
        '[ -n "$h" ] || { echo "no user $1" >&2; exit 4; }',
        'printf \'%s\\n\' "$h"',
        'c="$h/.kube/config"',
        'if [ ! -e "$2" ]; then echo no-admin',
        'elif [ ! -e "$c" ]; then echo missing',
        'elif cmp -s "$2" "$c" && [ "$(stat -c %U "$c")" = "$1" ]; then echo same',
        'else echo different; fi',
      ].join('\n'),
      'sh',
      user,
      ADMIN_CONF,
    ],
    parse: (r) => {
      const [home = '', state = ''] = r.stdout.split('\n').map((l) => l.trim());
      if (!home.startsWith('/') || !['no-admin', 'missing', 'same', 'different'].includes(state)) {
        throw new StepError(`unexpected answer about ~${user}/.kube/config: ${JSON.stringify(r.stdout)}`);
      }
      return { home, state: state as UserKubeconfig['state'] };
    },
  };
}
