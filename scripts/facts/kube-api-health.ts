import type { Fact } from '../engine/types.js';
import { tail } from '../engine/errors.js';
import { ADMIN_CONF } from '../inventory/topology.js';
import type { Inventory } from '../inventory/types.js';
import { etcdCheckTimeoutS } from '../render/kubeadm.js';

export interface ApiHealth {
  healthy: boolean;
  /** What kubectl said when the API server did not answer "ok". */
  detail: string;
}

/** Attempts, and seconds between them: an API server restarting after a reboot gets about a minute. */
export const HEALTH_ATTEMPTS = 6;
export const HEALTH_DELAY_SECONDS = 5;
/** kubectl's wait for one /livez answer: the API server's own etcd check (etcdCheckTimeoutS) plus 5 s, at least 5 s. */
export const healthRequestTimeoutS = (etcdCheckS: number | undefined): number => Math.max(5, (etcdCheckS ?? 0) + 5);

/**
 * The API server's /livez through admin.conf (kubectl, present wherever kubeadm is; curl may not be). Read only
 * when admin.conf exists; retried for a while so a control plane still starting is not taken for a broken one.
 * Each try waits for the API server's own etcd check (longer in an emulated lab) to answer.
 */
export function kubeApiHealth(inv: Inventory): Fact<ApiHealth> {
  return {
    key: 'kube-api-health',
    argv: [
      'sh',
      '-c',
      [
        'command -v kubectl >/dev/null || { echo "kubectl not found"; exit 127; }',
        'i=1',
        'while :; do',
        '  out=$(kubectl --kubeconfig "$3" get --raw /livez --request-timeout="$4s" 2>&1) && { printf \'%s\\n\' "$out"; exit 0; }',
        '  [ "$i" -ge "$1" ] && break',
        '  i=$((i + 1))',
        '  sleep "$2"',
        'done',
        'printf \'%s\\n\' "$out"',
        'exit 1',
      ].join('\n'),
      'sh',
      String(HEALTH_ATTEMPTS),
      String(HEALTH_DELAY_SECONDS),
      ADMIN_CONF,
      String(healthRequestTimeoutS(etcdCheckTimeoutS(inv))),
    ],
    okCodes: [0, 1, 127],
    parse: (r) => {
      const out = r.stdout.trim();
      return r.code === 0 && out === 'ok' ? { healthy: true, detail: '' } : { healthy: false, detail: tail(out || r.stderr, 3) };
    },
  };
}
