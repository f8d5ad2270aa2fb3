/** kubectl as root on the first control-plane node, through admin.conf: what a fix names and a repair runs. */
import type { Inventory } from '../inventory/types.js';
import { ADMIN_CONF, initNode } from '../inventory/topology.js';

export function kubectlOnControlPlane(inv: Inventory, args: readonly string[]): { node: string; argv: string[] } {
  return { node: initNode(inv).name, argv: ['kubectl', '--kubeconfig', ADMIN_CONF, ...args] };
}
