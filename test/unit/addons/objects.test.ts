import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandLists, imageFromRepository, mapImages } from '../../../scripts/manifests/objects.js';
import { apiServiceStatus, crdStatus } from '../../../scripts/k8s/addon-waits.js';

describe('image repository mapping', () => {
  it('registry.k8s.io images move to the configured repository with a flat name; others stay', () => {
    const nfs = 'registry.k8s.io/sig-storage/nfs-subdir-external-provisioner:v4.0.2';
    assert.equal(imageFromRepository(nfs, 'registry.k8s.io'), nfs);
    assert.equal(imageFromRepository(nfs, 'registry.aliyuncs.com/google_containers'), 'registry.aliyuncs.com/google_containers/nfs-subdir-external-provisioner:v4.0.2');
    assert.equal(imageFromRepository('registry.k8s.io/metrics-server/metrics-server:v0.8.1', 'my.registry:5000'), 'my.registry:5000/metrics-server:v0.8.1');
    assert.equal(imageFromRepository('registry.k8s.io/pause:3.10', 'my.registry:5000/k8s/'), 'my.registry:5000/k8s/pause:3.10');
    assert.equal(imageFromRepository('quay.io/prometheus/prometheus:v3.12.0', 'my.registry:5000'), 'quay.io/prometheus/prometheus:v3.12.0');
    assert.equal(imageFromRepository('grafana/grafana:13.0.2', 'my.registry:5000'), 'grafana/grafana:13.0.2');
    assert.equal(imageFromRepository('registry.k8s.io.evil/x:1', 'my.registry:5000'), 'registry.k8s.io.evil/x:1');
  });

  it('mapImages covers init containers and containers of every pod template', () => {
    const ds = {
      kind: 'DaemonSet',
      spec: { template: { spec: { initContainers: [{ name: 'i', image: 'registry.k8s.io/a/b:1' }], containers: [{ name: 'c', image: 'registry.k8s.io/c:2' }] } } },
    };
    mapImages([ds], 'mirror.local/k8s');
    assert.deepEqual(ds.spec.template.spec.initContainers[0]!.image, 'mirror.local/k8s/b:1');
    assert.deepEqual(ds.spec.template.spec.containers[0]!.image, 'mirror.local/k8s/c:2');
  });
});

describe('List kinds', () => {
  it('are expanded into their items in place; other objects keep their order', () => {
    const a = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } };
    const b = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } };
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } };
    assert.deepEqual(expandLists([svc, { apiVersion: 'v1', kind: 'ConfigMapList', items: [a, b] }, svc]), [svc, a, b, svc]);
  });
});

describe('wait conditions', () => {
  it('CRD: done when Established, names conflict reported', () => {
    assert.deepEqual(crdStatus({ status: { conditions: [{ type: 'NamesAccepted', status: 'True' } as any, { type: 'Established', status: 'True' } as any] } as any }), { done: true, detail: 'Established' });
    assert.equal(crdStatus({}).done, false);
    assert.match(crdStatus({ status: { conditions: [{ type: 'NamesAccepted', status: 'False', message: 'plural name taken' }] } as any }).detail, /names not accepted: plural name taken/);
  });

  it('APIService: done when Available, the reason shown otherwise', () => {
    assert.equal(apiServiceStatus({ status: { conditions: [{ type: 'Available', status: 'True' } as any] } }).done, true);
    const missing = apiServiceStatus({ status: { conditions: [{ type: 'Available', status: 'False', reason: 'MissingEndpoints', message: 'endpoints for service/metrics-server in "kube-system" have no addresses' } as any] } });
    assert.equal(missing.done, false);
    assert.match(missing.detail, /^MissingEndpoints: endpoints for service\/metrics-server/);
  });
});
