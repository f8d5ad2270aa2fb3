import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkKubePrometheusVersion,
  crdNames,
  KUBE_PROMETHEUS_SET,
  kubePrometheusSettings,
  renderKubePrometheus,
  splitStages,
  type KubePrometheusSettings,
} from '../../../scripts/render/kube-prometheus.js';
import type { K8sObject } from '../../../scripts/manifests/yaml.js';
import { pinnedObjects } from '../../../scripts/manifests/pinned.js';
import { testInventory } from '../../support/inventory.js';
import { NO_SEED } from '../../support/seed.js';
import { assertSchemaValid, cluster, containerOf, named, once, seed } from './helpers.js';

const inv = testInventory({ addons: { monitoring: { enabled: true, grafanaNodePort: 31000, prometheusNodePort: 31001 } } });
const upstream = once(async () => splitStages(await pinnedObjects(cluster(inv), KUBE_PROMETHEUS_SET)));
const settings = (over: Partial<KubePrometheusSettings> = {}): KubePrometheusSettings => ({ ...kubePrometheusSettings(inv), ...over });
const keys = (objs: readonly K8sObject[]): string[] => objs.map((o) => `${o.kind}/${(o.metadata as any).namespace ?? ''}/${(o.metadata as any).name}`);

describe('kube-prometheus render', { skip: seed ? undefined : NO_SEED }, () => {
  it('settings from the inventory', () => {
    assert.deepEqual(kubePrometheusSettings(inv), {
      kubernetesVersion: '1.35',
      metricsServer: true,
      grafanaNodePort: 31000,
      prometheusNodePort: 31001,
      imageRepository: 'registry.k8s.io',
    });
  });

  it('setup stage: the 10 CRDs and Namespace monitoring; main: no CRD, no List kind; every object schema-valid', async () => {
    const { setup, main } = renderKubePrometheus(await upstream(), settings());
    assert.equal(crdNames(setup).length, 10);
    assert.ok(crdNames(setup).includes('servicemonitors.monitoring.coreos.com'));
    assert.deepEqual(setup.filter((o) => o.kind !== 'CustomResourceDefinition').map((o) => `${o.kind}/${(o.metadata as any).name}`), ['Namespace/monitoring']);
    assert.ok(!main.some((o) => o.kind === 'CustomResourceDefinition' || o.kind === 'Namespace'));
    assert.ok(!main.some((o) => String(o.kind).endsWith('List')), 'List kinds expanded');
    assert.equal(new Set(keys(main)).size, main.length, 'no object twice');
    assertSchemaValid([...setup, ...main]);
  });

  it('Lists are expanded: the dashboards ConfigMaps and the per-namespace Roles/RoleBindings', async () => {
    const { main } = renderKubePrometheus(await upstream(), settings());
    for (const ns of ['default', 'kube-system', 'monitoring']) {
      named(main, 'Role', 'prometheus-k8s', ns);
      named(main, 'RoleBinding', 'prometheus-k8s', ns);
    }
    assert.ok(main.filter((o) => o.kind === 'ConfigMap' && String((o.metadata as any).name).startsWith('grafana-dashboard-')).length > 10);
  });

  it("prometheus-adapter's APIService v1beta1.metrics.k8s.io (and metrics reader ClusterRole) left out when metrics-server is enabled, kept otherwise", async () => {
    const up = await upstream();
    const withMs = renderKubePrometheus(up, settings({ metricsServer: true })).main;
    assert.ok(!withMs.some((o) => o.kind === 'APIService'));
    assert.ok(!withMs.some((o) => o.kind === 'ClusterRole' && (o.metadata as any).name === 'system:aggregated-metrics-reader'));
    named(withMs, 'Deployment', 'prometheus-adapter', 'monitoring'); // the adapter itself stays
    const without = renderKubePrometheus(up, settings({ metricsServer: false })).main;
    assert.equal(named(without, 'APIService', 'v1beta1.metrics.k8s.io').spec.service.name, 'prometheus-adapter');
    named(without, 'ClusterRole', 'system:aggregated-metrics-reader');
    assert.equal(without.length, withMs.length + 2);
  });

  it('with metrics-server enabled, no object of kube-prometheus has the kind and name of a metrics-server object', async () => {
    const ms = await pinnedObjects(cluster(inv), 'metrics-server');
    const { setup, main } = renderKubePrometheus(await upstream(), settings({ metricsServer: true }));
    const msKeys = new Set(keys(ms));
    assert.deepEqual(keys([...setup, ...main]).filter((k) => msKeys.has(k)), []);
  });

  it('grafana and prometheus-k8s: NodePort Services on the inventory ports (ports http / web)', async () => {
    const { main } = renderKubePrometheus(await upstream(), settings());
    const grafana = named(main, 'Service', 'grafana', 'monitoring');
    assert.equal(grafana.spec.type, 'NodePort');
    assert.deepEqual(grafana.spec.ports, [{ name: 'http', port: 3000, targetPort: 'http', nodePort: 31000 }]);
    const prom = named(main, 'Service', 'prometheus-k8s', 'monitoring');
    assert.equal(prom.spec.type, 'NodePort');
    assert.deepEqual(prom.spec.ports.find((p: any) => p.name === 'web'), { name: 'web', port: 9090, targetPort: 'web', nodePort: 31001 });
    assert.equal(prom.spec.ports.find((p: any) => p.name === 'reloader-web').nodePort, undefined);
    // other Services untouched
    assert.equal(named(main, 'Service', 'alertmanager-main', 'monitoring').spec.type, undefined);
  });

  it('their NetworkPolicies admit the NodePort target from anywhere; upstream rules kept', async () => {
    const up = await upstream();
    const { main } = renderKubePrometheus(up, settings());
    for (const [name, port] of [['grafana', 'http'], ['prometheus-k8s', 'web']] as const) {
      const before = named(up.main, 'NetworkPolicy', name, 'monitoring');
      const after = named(main, 'NetworkPolicy', name, 'monitoring');
      assert.deepEqual(after.spec.ingress.slice(0, -1), before.spec.ingress, `${name}: upstream rules first, unchanged`);
      assert.deepEqual(after.spec.ingress.at(-1), { ports: [{ port, protocol: 'TCP' }] }, `${name}: no 'from' = any source`);
      assert.deepEqual(after.spec.policyTypes, before.spec.policyTypes);
    }
    assert.deepEqual(named(main, 'NetworkPolicy', 'alertmanager-main'), named(up.main, 'NetworkPolicy', 'alertmanager-main'));
  });

  it('headless Services kube-scheduler (10259) and kube-controller-manager (10257) in kube-system match their ServiceMonitors', async () => {
    const { main } = renderKubePrometheus(await upstream(), settings());
    for (const [name, port] of [['kube-scheduler', 10259], ['kube-controller-manager', 10257]] as const) {
      const svc = named(main, 'Service', name, 'kube-system');
      assert.deepEqual(svc, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: 'kube-system', labels: { 'app.kubernetes.io/name': name } },
        spec: { clusterIP: 'None', selector: { component: name }, ports: [{ name: 'https-metrics', port, targetPort: port, protocol: 'TCP' }] },
      });
      const monitor = named(main, 'ServiceMonitor', name, 'monitoring');
      assert.deepEqual(monitor.spec.selector.matchLabels, svc.metadata.labels);
      assert.deepEqual(monitor.spec.namespaceSelector.matchNames, ['kube-system']);
      assert.ok(monitor.spec.endpoints.every((e: any) => e.port === 'https-metrics'));
    }
  });

  it('registry.k8s.io images follow the configured repository; quay.io and docker.io images do not', async () => {
    const { main } = renderKubePrometheus(await upstream(), settings({ imageRepository: 'registry.aliyuncs.com/google_containers' }));
    assert.equal(containerOf(named(main, 'Deployment', 'kube-state-metrics'), 'kube-state-metrics').image, 'registry.aliyuncs.com/google_containers/kube-state-metrics:v2.19.0');
    assert.equal(containerOf(named(main, 'Deployment', 'prometheus-adapter'), 'prometheus-adapter').image, 'registry.aliyuncs.com/google_containers/prometheus-adapter:v0.12.0');
    assert.equal(containerOf(named(main, 'Deployment', 'grafana'), 'grafana').image, 'grafana/grafana:13.0.2');
    assert.equal(containerOf(named(main, 'Deployment', 'prometheus-operator'), 'prometheus-operator').image, 'quay.io/prometheus-operator/prometheus-operator:v0.92.0');
  });

  it('is pure: the upstream objects are not modified', async () => {
    const up = await upstream();
    const before = JSON.stringify(up);
    renderKubePrometheus(up, settings({ metricsServer: true, imageRepository: 'my.registry:5000/k8s' }));
    assert.equal(JSON.stringify(up), before);
  });

  it('refuses Kubernetes versions outside 1.33-1.36 with the compatibility table', async () => {
    const up = await upstream();
    for (const ok of ['1.33', '1.36', '1.35.2']) assert.doesNotThrow(() => checkKubePrometheusVersion(ok));
    assert.throws(
      () => renderKubePrometheus(up, settings({ kubernetesVersion: '1.32' })),
      (err: Error) => {
        assert.match(err.message, /kube-prometheus v0\.18\.0 supports Kubernetes 1\.33-1\.36, not 1\.32/);
        for (const row of ['release-0.16: Kubernetes 1.32-1.34', 'release-0.17: Kubernetes 1.33-1.35', 'release-0.18: Kubernetes 1.33-1.36']) {
          assert.ok(err.message.includes(row), row);
        }
        return true;
      },
    );
    assert.throws(() => checkKubePrometheusVersion('1.37.0'), /not 1\.37\.0/);
  });
});
