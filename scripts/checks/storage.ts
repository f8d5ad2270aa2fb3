/**
 * Check `storage`: a PVC on the default StorageClass binds, a pod writes a file into it and reads it back, and
 * the file is on the NFS server under the export (read there over SSH from the PV's spec.nfs.path).
 */
import { posix } from 'node:path';
import { TransportError } from '../transport/types.js';
import { addonNamespace, nfsStorageClass } from './addons.js';
import type { KEvent, KPod, KPvc, KStorageClass } from '../k8s/api.js';
import { clip, firstLine, mountFailureCause, podProblem, podWarnings } from './pod-diagnosis.js';
import { smokePod, smokePodProblem, terminationMessage, waitPod } from './smoke-pods.js';
import type { Check, CheckContext, CheckOutcome } from './types.js';

export const DEFAULT_CLASS_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];
export const CLAIM = 'data';
export const WRITER = 'storage-writer';
export const FILE = 'kubelab-smoke.txt';

/** Writes $1 into /data/$2, syncs, and reports what it reads back. */
export const WRITE_SCRIPT = 'set -e; printf "%s\\n" "$1" >"/data/$2"; sync; cat "/data/$2" | tee /dev/termination-log';

export function isDefaultClass(sc: KStorageClass): boolean {
  return DEFAULT_CLASS_ANNOTATIONS.some((a) => sc.metadata.annotations?.[a] === 'true');
}

/** The claim: on the default class, or on kubelab's NFS class by name when the inventory does not make it default. */
function claim(storageClassName: string | undefined): KPvc {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: CLAIM },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Mi' } }, ...(storageClassName ? { storageClassName } : {}) },
  };
}

/** Why the claim is not bound: its events, the provisioner's state. */
async function pendingClaimCause(ctx: CheckContext, sc: KStorageClass): Promise<string> {
  const events = await ctx.api.listEvents(ctx.namespace, CLAIM).catch((): KEvent[] => []);
  const failed = events.filter((e) => e.reason === 'ProvisioningFailed').pop();
  const waiting = events.filter((e) => e.reason === 'ExternalProvisioning').pop();
  const ns = addonNamespace(ctx.inv, 'nfsProvisioner');
  const provisioners = await ctx.api.listPods(ns).catch(() => []);
  const bad = provisioners.map((p) => podProblem(p, [])).filter((p) => p !== undefined);
  const pods = !provisioners.length ? `no provisioner pod in namespace ${ns}` : bad.length ? `provisioner pod ${bad.map((p) => p.summary).join('; ')}` : '';
  if (failed) return `the PVC stays Pending: ProvisioningFailed: ${clip(failed.message, 240)}${pods ? `; ${pods}` : ''}`;
  if (waiting || pods) {
    return `the PVC stays Pending: nothing provisions volumes for ${sc.provisioner}${waiting ? ` (${clip(waiting.message, 200)})` : ''}${pods ? `; ${pods}` : ''}`;
  }
  return `the PVC stays Pending (StorageClass ${sc.metadata.name}, provisioner ${sc.provisioner}) with no event saying why`;
}

/** Mount failures and a claim left unbound end the wait early: they do not heal. */
function stuckVerdict(ctx: CheckContext, start: number): (pod: KPod) => Promise<string | undefined> {
  return async (pod) => {
    if (pod.status?.phase !== 'Pending') return undefined;
    const events = await ctx.api.listEvents(ctx.namespace, pod.metadata.name).catch((): KEvent[] => []);
    const mount = podWarnings(pod, events).filter((e) => e.reason === 'FailedMount').pop();
    const cause = mount ? mountFailureCause(mount.message ?? '', pod.spec?.nodeName) : undefined;
    if (cause) return cause;
    if (ctx.now() - start < ctx.settings.claimBindMs) return undefined;
    const pvc = await ctx.api.getPvc(ctx.namespace, CLAIM).catch(() => null);
    return pvc?.status?.phase === 'Bound' ? undefined : `PVC ${CLAIM} still unbound after ${Math.round(ctx.settings.claimBindMs / 1000)} s`;
  };
}

export const storageCheck: Check = {
  name: 'storage',
  title: 'a PVC on the default StorageClass binds and stores a file on the NFS server',
  addon: 'nfsProvisioner',
  usesNamespace: true,
  async run(ctx): Promise<CheckOutcome> {
    const nfs = nfsStorageClass(ctx.inv);
    const classes = await ctx.api.listStorageClasses();
    const defaults = classes.filter(isDefaultClass);
    const named = classes.find((c) => c.metadata.name === nfs.name);
    if (nfs.isDefault && !defaults.length) {
      return {
        ok: false,
        detail: classes.length ? `StorageClasses: ${classes.map((c) => c.metadata.name).join(', ')}, none is the default` : 'no StorageClass',
        diagnosis: named
          ? `no default StorageClass: ${nfs.name} is not annotated ${DEFAULT_CLASS_ANNOTATIONS[0]}="true"; PVCs without storageClassName stay Pending (kubelab up --only addons marks it)`
          : `no default StorageClass: the NFS provisioner's StorageClass ${nfs.name} is not installed: kubelab up --only addons`,
      };
    }
    if (!nfs.isDefault && !named) {
      return { ok: false, detail: `no StorageClass ${nfs.name}`, diagnosis: `the NFS provisioner's StorageClass ${nfs.name} is not installed: kubelab up --only addons` };
    }
    // With several defaults the API server picks the newest; kubelab's class is the one expected among them.
    const sc = nfs.isDefault ? (defaults.find((c) => c.metadata.name === nfs.name) ?? defaults[0]!) : named!;
    const content = `kubelab-smoke ${ctx.runId}`;
    await ctx.api.createPvc(ctx.namespace, claim(nfs.isDefault ? undefined : nfs.name));
    await ctx.api.createPod(
      ctx.namespace,
      smokePod('storage', WRITER, { image: ctx.inv.spec.checks.image, command: ['sh', '-c', WRITE_SCRIPT, 'sh', content, FILE], pvc: { claimName: CLAIM, mountPath: '/data' } }),
    );
    const w = await waitPod(ctx, WRITER, 'finished', stuckVerdict(ctx, ctx.now()));
    const pvc = await ctx.api.getPvc(ctx.namespace, CLAIM);
    if (!w.done || w.pod?.status?.phase !== 'Succeeded') {
      if (pvc?.status?.phase !== 'Bound') {
        return { ok: false, detail: `PVC ${CLAIM} (StorageClass ${sc.metadata.name}) is ${pvc?.status?.phase ?? 'missing'}`, diagnosis: await pendingClaimCause(ctx, sc) };
      }
      const p = await smokePodProblem(ctx, w.pod, WRITER, w);
      const msg = terminationMessage(w.pod);
      return {
        ok: false,
        detail: `PVC bound to ${pvc.spec.volumeName}; the writer pod: ${p.summary}${msg ? ` (${firstLine(msg)})` : ''}`,
        diagnosis: p.cause ?? w.stuck ?? `the pod could not write to the volume${msg ? `: ${firstLine(msg)}` : ''}`,
      };
    }
    const readBack = terminationMessage(w.pod);
    if (readBack !== content) {
      return { ok: false, detail: `the pod read back "${readBack.slice(0, 80)}", not "${content}"`, diagnosis: 'the volume does not keep what is written to it' };
    }
    const pvName = pvc?.spec.volumeName;
    const pv = pvName ? await ctx.api.getPv(pvName) : null;
    const nfsSpec = ctx.inv.spec.nfs;
    const where = `PVC bound to ${pvName ?? '?'} (StorageClass ${sc.metadata.name}), file written and read back`;
    if (!pv?.spec?.nfs) {
      return { ok: false, detail: where, diagnosis: `the StorageClass ${sc.metadata.name} (${sc.provisioner}) does not make NFS volumes: make ${nfs.name} the default` };
    }
    if (!nfsSpec) return { ok: false, detail: where, diagnosis: 'spec.nfs is not set in the inventory: cannot tell which node serves NFS' };
    const dir = posix.normalize(pv.spec.nfs.path);
    const export_ = posix.normalize(nfsSpec.path).replace(/\/+$/, '');
    if (dir !== export_ && !dir.startsWith(`${export_}/`)) {
      return { ok: false, detail: `${where}; the PV is ${pv.spec.nfs.server}:${dir}`, diagnosis: `the volume is not under the export ${nfsSpec.path}: the provisioner's NFS_PATH does not match spec.nfs.path` };
    }
    const server = ctx.inv.spec.nodes.find((n) => n.name === nfsSpec.server);
    if (!server) return { ok: false, detail: where, diagnosis: `spec.nfs.server ${nfsSpec.server} is not an inventory node` };
    const file = posix.join(dir, FILE);
    let onServer: string;
    try {
      const res = await ctx.transports.get(server).exec(['cat', '--', file], { timeoutMs: 30_000 });
      if (res.code !== 0) {
        return {
          ok: false,
          detail: `${where}; on ${server.name}: cat ${file} exited ${res.code}: ${firstLine(res.stderr)}`,
          diagnosis: `the file is not on the NFS server under ${nfsSpec.path}: the PV ${pv.spec.nfs.server}:${dir} is not the export of ${server.name} (check the provisioner's NFS_SERVER)`,
        };
      }
      onServer = res.stdout.trim();
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      return { ok: false, detail: `${where}; cannot read ${file} on ${server.name}: ${err.message}`, diagnosis: `SSH to the NFS server ${server.name} failed (${err.kind})` };
    }
    if (onServer !== content) {
      return { ok: false, detail: `${where}; ${server.name}:${file} holds "${onServer.slice(0, 80)}"`, diagnosis: 'the file on the NFS server differs from what the pod wrote' };
    }
    return { ok: true, detail: `${where}; ${server.name}:${file} holds it` };
  },
};
