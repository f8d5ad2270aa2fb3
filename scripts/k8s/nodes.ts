/** The cluster's nodes as kubelab checks them: Ready, INTERNAL-IP, version, roles. */
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import type { KNode } from './api.js';

export interface NodeSummary {
  name: string;
  ready: boolean;
  internalIp?: string;
  kubeletVersion?: string;
  /** From node-role.kubernetes.io/<role> labels, e.g. ["control-plane"]. */
  roles: string[];
}

const ROLE_PREFIX = 'node-role.kubernetes.io/';

/** A Node as client-node returns it or as ClusterApi.listNodes does. */
export function summarizeNode(node: V1Node | KNode): NodeSummary {
  const internalIp = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const kubeletVersion = node.status?.nodeInfo?.kubeletVersion;
  return {
    name: node.metadata?.name ?? '',
    ready: node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
    ...(internalIp ? { internalIp } : {}),
    ...(kubeletVersion ? { kubeletVersion } : {}),
    roles: Object.keys(node.metadata?.labels ?? {})
      .filter((l) => l.startsWith(ROLE_PREFIX) && l.length > ROLE_PREFIX.length)
      .map((l) => l.slice(ROLE_PREFIX.length))
      .sort(),
  };
}

export async function listNodes(kc: KubeConfig): Promise<NodeSummary[]> {
  const list = await kc.makeApiClient(CoreV1Api).listNode();
  return list.items.map(summarizeNode).sort((a, b) => a.name.localeCompare(b.name));
}
