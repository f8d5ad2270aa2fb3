import type { Phase } from '../engine/types.js';
import { nfsClientStep, nfsMountCheckStep, nfsServerStep } from '../steps/nfs.js';

/** The lab's NFS export (spec.nfs) and the client tools on every node. */
export const nfsPhase: Phase = {
  name: 'nfs',
  title: 'NFS server and clients',
  steps: [nfsClientStep, nfsServerStep],
};

/** Mounts the export from the other nodes; runs after nfs so the server is ready. Selected with --only nfs too. */
export const nfsCheckPhase: Phase = {
  name: 'nfs-check',
  group: 'nfs',
  title: 'NFS export mounted from the other nodes',
  dependsOn: (_node, inv) => (inv.spec.nfs ? [inv.spec.nfs.server] : []),
  steps: [nfsMountCheckStep],
};
