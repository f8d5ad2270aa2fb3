import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_CLASS_ANNOTATION,
  NFS_PROVISIONER_SET,
  nfsProvisionerSettings,
  renderNfsProvisioner,
} from '../../../scripts/render/nfs-provisioner.js';
import { pinnedObjects } from '../../../scripts/manifests/pinned.js';
import { testInventory } from '../../support/inventory.js';
import { NO_SEED } from '../../support/seed.js';
import { assertSchemaValid, cluster, containerOf, named, once, seed } from './helpers.js';

const inv = testInventory({ nfs: { server: 'worker1', path: '/export/k8s' } });
const upstream = once(() => pinnedObjects(cluster(inv), NFS_PROVISIONER_SET));

describe('nfs-subdir-external-provisioner render', { skip: seed ? undefined : NO_SEED }, () => {
  it('settings come from the inventory: the NFS server node\'s address, the export, the addon defaults', () => {
    assert.deepEqual(nfsProvisionerSettings(inv), {
      namespace: 'nfs-provisioner',
      server: '192.168.56.11',
      path: '/export/k8s',
      storageClass: 'nfs-client',
      archiveOnDelete: false,
      default: true,
      imageRepository: 'registry.k8s.io',
      leaderElection: true,
    });
    assert.equal(nfsProvisionerSettings(testInventory({ nfs: { server: 'worker1', path: '/export/k8s' }, timing: { profile: 'emulated' } })).leaderElection, false);
    assert.throws(() => nfsProvisionerSettings(testInventory({ addons: { nfsProvisioner: { enabled: false } } })), /needs spec\.nfs/);
  });

  it('puts every namespaced object and every ServiceAccount subject in the namespace, with the Namespace first', async () => {
    const out = renderNfsProvisioner(await upstream(), { ...nfsProvisionerSettings(inv), namespace: 'storage' });
    assert.deepEqual(out[0], { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'storage' } });
    const namespaced = out.filter((o) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass'].includes(String(o.kind)));
    assert.deepEqual(namespaced.map((o) => o.kind).sort(), ['Deployment', 'Role', 'RoleBinding', 'ServiceAccount']);
    for (const o of namespaced) assert.equal((o.metadata as any).namespace, 'storage', `${o.kind} namespace`);
    for (const o of out.filter((x) => x.kind === 'ClusterRole' || x.kind === 'StorageClass')) assert.equal((o.metadata as any).namespace, undefined);
    const subjects = out.flatMap((o) => ((o as any).subjects ?? []) as any[]);
    assert.equal(subjects.length, 2);
    for (const s of subjects) assert.deepEqual(s, { kind: 'ServiceAccount', name: 'nfs-client-provisioner', namespace: 'storage' });
    assert.ok(!JSON.stringify(out).includes('"namespace":"default"'), 'no object or subject left in default');
    assertSchemaValid(out);
  });

  it('points NFS_SERVER/NFS_PATH and the nfs volume at the export, keeps PROVISIONER_NAME = the class provisioner', async () => {
    const out = renderNfsProvisioner(await upstream(), nfsProvisionerSettings(inv));
    const deploy = named(out, 'Deployment', 'nfs-client-provisioner', 'nfs-provisioner');
    const c = containerOf(deploy, 'nfs-client-provisioner');
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
    assert.deepEqual(env, { PROVISIONER_NAME: 'k8s-sigs.io/nfs-subdir-external-provisioner', NFS_SERVER: '192.168.56.11', NFS_PATH: '/export/k8s' });
    assert.deepEqual(deploy.spec.template.spec.volumes, [{ name: 'nfs-client-root', nfs: { server: '192.168.56.11', path: '/export/k8s' } }]);
    assert.equal(named(out, 'StorageClass', 'nfs-client').provisioner, env.PROVISIONER_NAME);
    assert.equal(c.image, 'registry.k8s.io/sig-storage/nfs-subdir-external-provisioner:v4.0.2');
  });

  it('leader election off (an emulated lab): ENABLE_LEADER_ELECTION=false, the other variables as they were', async () => {
    const c = containerOf(named(renderNfsProvisioner(await upstream(), { ...nfsProvisionerSettings(inv), leaderElection: false }), 'Deployment', 'nfs-client-provisioner'), 'nfs-client-provisioner');
    assert.deepEqual(c.env.map((e: any) => `${e.name}=${e.value}`), [
      'PROVISIONER_NAME=k8s-sigs.io/nfs-subdir-external-provisioner',
      'NFS_SERVER=192.168.56.11',
      'NFS_PATH=/export/k8s',
      'ENABLE_LEADER_ELECTION=false',
    ]);
  });

  it('StorageClass: the configured name, archiveOnDelete as "true"/"false", default annotation only when default', async () => {
    const base = nfsProvisionerSettings(inv);
    const on = named(renderNfsProvisioner(await upstream(), { ...base, storageClass: 'lab-nfs', archiveOnDelete: true }), 'StorageClass', 'lab-nfs');
    assert.deepEqual(on.parameters, { archiveOnDelete: 'true' });
    assert.deepEqual(on.metadata.annotations, { [DEFAULT_CLASS_ANNOTATION]: 'true' });
    const off = named(renderNfsProvisioner(await upstream(), { ...base, default: false }), 'StorageClass', 'nfs-client');
    assert.deepEqual(off.parameters, { archiveOnDelete: 'false' });
    assert.equal(off.metadata.annotations, undefined);
  });

  it('an image repository other than registry.k8s.io serves the image under its flat name', async () => {
    const out = renderNfsProvisioner(await upstream(), { ...nfsProvisionerSettings(inv), imageRepository: 'registry.aliyuncs.com/google_containers' });
    const c = containerOf(named(out, 'Deployment', 'nfs-client-provisioner'), 'nfs-client-provisioner');
    assert.equal(c.image, 'registry.aliyuncs.com/google_containers/nfs-subdir-external-provisioner:v4.0.2');
  });

  it('is pure: the upstream objects are not modified', async () => {
    const objs = await upstream();
    const before = JSON.stringify(objs);
    renderNfsProvisioner(objs, nfsProvisionerSettings(inv));
    assert.equal(JSON.stringify(objs), before);
  });
});
