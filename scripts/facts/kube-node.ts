import { StepError, tail } from '../engine/errors.js';
import type { Fact } from '../engine/types.js';
import { ADMIN_CONF } from '../inventory/topology.js';

export type KubeNode =
  | { registered: false }
  | {
      registered: true;
      /** status of the Ready condition: "True", "False" or "Unknown" ("Unknown" too when there is none). */
      ready: string;
      reason: string;
      message: string;
    };

interface NodeJson {
  status?: { conditions?: { type?: string; status?: string; reason?: string; message?: string }[] };
}

/** Parses `kubectl get node -o json`: the Ready condition of a registered Node. */
export function parseNode(json: string): KubeNode {
  const node = JSON.parse(json) as NodeJson;
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  return { registered: true, ready: ready?.status ?? 'Unknown', reason: ready?.reason ?? '', message: ready?.message ?? '' };
}

/** The Node object `name` as the API server sees it; read on the control plane through admin.conf. */
export function kubeNode(name: string): Fact<KubeNode> {
  return {
    key: `kube-node:${name}`,
    argv: ['kubectl', '--kubeconfig', ADMIN_CONF, 'get', 'node', name, '-o', 'json', '--request-timeout=10s'],
    okCodes: [0, 1],
    parse: (r) => {
      if (r.code === 0) return parseNode(r.stdout);
      if (/\(NotFound\)/.test(r.stderr)) return { registered: false };
      throw new StepError(`cannot ask the API server about node ${name}: ${tail(r.stderr || r.stdout, 3)}`);
    },
  };
}
