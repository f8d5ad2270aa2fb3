/** spec.addons: defaults, strict keys, field checks and the cross-field rules, each at its field and line. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInventory } from '../../../scripts/inventory/load.js';
import { BASE, assertProblem, edit, onlyProblem, pos, problemsOf } from './helpers.js';

const withAddons = (yaml: string, base = BASE): string => `${base}  addons:\n${yaml}`;
const withNfs = `${BASE}  nfs:\n    server: master\n`;

describe('spec.addons', () => {
  it('defaults fill every field: NFS off without spec.nfs, metrics-server on (insecure), monitoring off', () => {
    assert.deepEqual(parseInventory(BASE, 'x.yaml').spec.addons, {
      nfsProvisioner: { enabled: false, archiveOnDelete: false, namespace: 'nfs-provisioner', storageClass: 'nfs-client', default: true },
      metricsServer: { enabled: true, tls: 'insecure' },
      monitoring: { enabled: false, grafanaNodePort: 30300, prometheusNodePort: 30090 },
    });
  });

  it('the NFS provisioner is on by default when spec.nfs is set, and can be turned off', () => {
    assert.equal(parseInventory(withNfs, 'x.yaml').spec.addons.nfsProvisioner.enabled, true);
    const off = withAddons('    nfsProvisioner: { enabled: false }\n', withNfs);
    assert.equal(parseInventory(off, 'x.yaml').spec.addons.nfsProvisioner.enabled, false);
  });

  it('takes every setting', () => {
    const text = withAddons(
      '    nfsProvisioner: { archiveOnDelete: true, namespace: storage, storageClass: lab-nfs, default: false }\n' +
        '    metricsServer: { tls: bootstrap }\n' +
        '    monitoring: { enabled: true, grafanaNodePort: 32000, prometheusNodePort: 32001 }\n',
      withNfs,
    );
    assert.deepEqual(parseInventory(text, 'x.yaml').spec.addons, {
      nfsProvisioner: { enabled: true, archiveOnDelete: true, namespace: 'storage', storageClass: 'lab-nfs', default: false },
      metricsServer: { enabled: true, tls: 'bootstrap' },
      monitoring: { enabled: true, grafanaNodePort: 32000, prometheusNodePort: 32001 },
    });
  });

  it('unknown keys are refused at every level, with the closest key as hint', () => {
    const top = withAddons('    metricServer: { enabled: false }\n');
    assertProblem(onlyProblem(top), { path: 'spec.addons.metricServer', at: pos(top, 'metricServer'), message: ['unknown key'], hint: ['"metricsServer"'] });
    const inner = withAddons('    monitoring: { enabled: true, grafanNodePort: 30300 }\n');
    assertProblem(onlyProblem(inner), { path: 'spec.addons.monitoring.grafanNodePort', at: pos(inner, 'grafanNodePort'), hint: ['"grafanaNodePort"'] });
    const far = withAddons('    nfsProvisioner: { server: master }\n');
    assertProblem(onlyProblem(far), { path: 'spec.addons.nfsProvisioner.server', hint: ['enabled, archiveOnDelete, namespace, storageClass, default'] });
  });

  it('tls is insecure or bootstrap', () => {
    const text = withAddons('    metricsServer: { tls: secure }\n');
    assertProblem(onlyProblem(text), { path: 'spec.addons.metricsServer.tls', at: pos(text, 'secure }'), message: ['"insecure"', '"bootstrap"'] });
  });

  it('NodePorts lie in 30000-32767', () => {
    for (const bad of [80, 29999, 32768]) {
      const text = withAddons(`    monitoring: { grafanaNodePort: ${bad} }\n`);
      assertProblem(onlyProblem(text), { path: 'spec.addons.monitoring.grafanaNodePort', at: pos(text, String(bad)), message: [`NodePort ${bad} is out of range`, '30000-32767'] });
    }
    const quoted = withAddons('    monitoring: { prometheusNodePort: "30090" }\n');
    assertProblem(onlyProblem(quoted), { path: 'spec.addons.monitoring.prometheusNodePort', message: ['expected a NodePort number'], hint: ['without quotes'] });
  });

  it('the namespace and StorageClass are DNS labels', () => {
    const text = withAddons('    nfsProvisioner: { namespace: NFS_Space }\n', withNfs);
    assertProblem(onlyProblem(text), { path: 'spec.addons.nfsProvisioner.namespace', at: pos(text, 'NFS_Space'), message: ['DNS label'] });
  });
});

describe('spec.addons cross-field rules', () => {
  it('enabling the NFS provisioner without spec.nfs names both fields', () => {
    const text = withAddons('    nfsProvisioner:\n      enabled: true\n');
    assertProblem(onlyProblem(text), {
      path: 'spec.addons.nfsProvisioner.enabled',
      at: pos(text, 'true'),
      message: ['spec.addons.nfsProvisioner.enabled', 'spec.nfs is not set'],
      hint: ['spec.nfs.server', 'enabled: false'],
    });
  });

  it('monitoring refuses a Kubernetes version outside 1.33-1.36, with the compatibility table', () => {
    const text = withAddons('    monitoring:\n      enabled: true\n', edit(BASE, 'version: "1.35"', 'version: "1.32"'));
    assertProblem(onlyProblem(text), {
      path: 'spec.addons.monitoring.enabled',
      at: pos(text, 'true'),
      message: [
        'needs Kubernetes 1.33-1.36 (kube-prometheus v0.18.0)',
        'spec.kubernetes.version is 1.32',
        'release-0.16: Kubernetes 1.32-1.34',
        'release-0.17: Kubernetes 1.33-1.35',
        'release-0.18: Kubernetes 1.33-1.36',
      ],
      hint: ['enabled: false'],
    });
    for (const ok of ['"1.33"', '"1.36"', '"1.34.2"']) {
      assert.doesNotThrow(() => parseInventory(withAddons('    monitoring: { enabled: true }\n', edit(BASE, 'version: "1.35"', `version: ${ok}`)), 'x.yaml'));
    }
    // monitoring off: any supported version is fine
    assert.doesNotThrow(() => parseInventory(edit(BASE, 'version: "1.35"', 'version: "1.30"'), 'x.yaml'));
    // a version kubelab does not support at all is reported once, not twice
    const unsupported = withAddons('    monitoring: { enabled: true }\n', edit(BASE, 'version: "1.35"', 'version: "1.29"'));
    assertProblem(onlyProblem(unsupported), { path: 'spec.kubernetes.version', message: ['1.29 is not supported'] });
  });

  it('the two NodePorts differ (pointing at the one written, naming a default)', () => {
    const both = withAddons('    monitoring:\n      grafanaNodePort: 31000\n      prometheusNodePort: 31000\n');
    assertProblem(onlyProblem(both), {
      path: 'spec.addons.monitoring.prometheusNodePort',
      at: pos(both, 'prometheusNodePort: 31000', 'prometheusNodePort: '.length),
      message: ['prometheusNodePort 31000 is also grafanaNodePort'],
    });
    const onDefault = withAddons('    monitoring:\n      grafanaNodePort: 30090\n');
    assertProblem(onlyProblem(onDefault), {
      path: 'spec.addons.monitoring.grafanaNodePort',
      at: pos(onDefault, '30090'),
      message: ['grafanaNodePort 30090 is also prometheusNodePort (default)'],
    });
  });

  it('every addon problem is reported at once', () => {
    const text = withAddons(
      '    nfsProvisioner: { enabled: true }\n    monitoring: { enabled: true, grafanaNodePort: 30090, prometheusNodePort: 40000 }\n',
      edit(BASE, 'version: "1.35"', 'version: "1.31"'),
    );
    assert.deepEqual(problemsOf(text).map((p) => p.path).sort(), [
      'spec.addons.monitoring.enabled',
      'spec.addons.monitoring.prometheusNodePort',
      'spec.addons.nfsProvisioner.enabled',
    ]);
  });
});
