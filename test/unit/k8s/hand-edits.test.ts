/** handEdits: what `up` compares in a live object beyond its render hash (hand edits keep the annotation). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handEdits } from '../../../scripts/k8s/apply.js';
import type { K8sObject } from '../../../scripts/manifests/yaml.js';

const ds = (args: string[], image = 'ghcr.io/flannel-io/flannel:v0.28.9', extra: Record<string, unknown> = {}): K8sObject => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'kube-flannel-ds', namespace: 'kube-flannel' },
  spec: {
    template: {
      spec: {
        initContainers: [{ name: 'install-cni', image, command: ['cp'], args: ['-f', '/etc/kube-flannel/cni-conf.json', '/etc/cni/net.d/10-flannel.conflist'] }],
        containers: [{ name: 'kube-flannel', image, command: ['/opt/bin/flanneld'], args, ...extra }],
      },
    },
  },
});

describe('handEdits', () => {
  const desired = ds(['--ip-masq', '--kube-subnet-mgr', '--iface=eth1']);

  it('a live object as applied, with the fields the API server adds (defaults, env fieldRef apiVersion): nothing', () => {
    const live = ds(['--ip-masq', '--kube-subnet-mgr', '--iface=eth1'], undefined, {
      env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }],
      terminationMessagePath: '/dev/termination-log',
      imagePullPolicy: 'IfNotPresent',
    });
    assert.deepEqual(handEdits(desired, live), []);
  });

  it('--iface removed, an image retagged, a container gone: each named', () => {
    assert.deepEqual(handEdits(desired, ds(['--ip-masq', '--kube-subnet-mgr'])), ['container kube-flannel args']);
    assert.deepEqual(handEdits(desired, ds(['--ip-masq', '--kube-subnet-mgr', '--iface=eth1'], 'ghcr.io/flannel-io/flannel:latest')), [
      'container install-cni image',
      'container kube-flannel image',
    ]);
    const noInit = ds(['--ip-masq', '--kube-subnet-mgr', '--iface=eth1']) as { spec: { template: { spec: { initContainers?: unknown } } } };
    delete noInit.spec.template.spec.initContainers;
    assert.deepEqual(handEdits(desired, noInit as K8sObject), ['container install-cni missing']);
  });

  it('a ConfigMap: the keys kubelab sets are compared, keys added by hand are left alone', () => {
    const cm = (data: Record<string, string>): K8sObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-flannel-cfg' }, data });
    const want = cm({ 'net-conf.json': '{"Network": "10.244.0.0/16"}' });
    assert.deepEqual(handEdits(want, cm({ 'net-conf.json': '{"Network": "10.244.0.0/16"}', extra: 'x' })), []);
    assert.deepEqual(handEdits(want, cm({ 'net-conf.json': '{"Network": "10.99.0.0/16"}' })), ['data net-conf.json']);
  });
});
