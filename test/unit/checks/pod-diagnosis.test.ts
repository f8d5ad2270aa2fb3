/** What a volume mount failure is blamed on: NFS only when the failing mount is an NFS one. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mountFailureCause } from '../../../scripts/checks/pod-diagnosis.js';

describe('mount failure causes', () => {
  it('an NFS mount that times out: the NFS server is unreachable', () => {
    // the kubelet's format for a failed mount (mount-utils: command, arguments, output)
    const nfs = [
      'MountVolume.SetUp failed for volume "pvc-5e1c" : mount failed: exit status 32',
      'Mounting command: mount',
      'Mounting arguments: -t nfs 192.168.56.10:/srv/nfs/kubedata/default-data-pvc-5e1c /var/lib/kubelet/pods/0b1/volumes/kubernetes.io~nfs/pvc-5e1c',
      'Output: mount.nfs: Connection timed out',
    ].join('\n');
    assert.match(mountFailureCause(nfs, 'worker1') ?? '', /^the NFS server is unreachable on worker1 \(/);
  });

  it('a ConfigMap or token volume that times out is not blamed on NFS: the kubelet could not read it from the API server', () => {
    // both answered by the real API server on the emulated e2e lab (kube-flannel's events, `kubelab check`,
    // 2026-12-03); the first used to be diagnosed "the NFS server is unreachable on worker1"
    for (const message of [
      'MountVolume.SetUp failed for volume "flannel-cfg" : failed to sync configmap cache: timed out waiting for the condition',
      'MountVolume.SetUp failed for volume "kube-api-access-hmk6m" : failed to fetch token: Timeout: request did not complete within requested timeout - context deadline exceeded',
    ]) {
      const cause = mountFailureCause(message, 'worker1') ?? '';
      assert.doesNotMatch(cause, /NFS/, message);
      assert.match(cause, /^the kubelet on worker1 could not read the volume's ConfigMap, Secret or token from the API server in time/, message);
    }
  });

  it('another volume failure has no named cause (the caller quotes the message)', () => {
    assert.equal(mountFailureCause('MountVolume.SetUp failed for volume "data" : hostPath type check failed: /srv/data is not a directory', 'worker1'), undefined);
  });
});
