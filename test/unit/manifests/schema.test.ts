import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isNoSchema, validateK8sObject } from '../../support/k8s-schema.js';
import { parseManifests } from '../../../scripts/manifests/yaml.js';
import { loadLock, lockedFiles } from '../../../scripts/manifests/lock.js';
import { NO_SEED, testSeedDir } from '../../support/seed.js';

const daemonSet = () => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'ds', namespace: 'kube-system' },
  spec: {
    selector: { matchLabels: { app: 'ds' } },
    template: { metadata: { labels: { app: 'ds' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
  },
});

test('a valid object has no problems', () => {
  assert.deepEqual(validateK8sObject(daemonSet()), []);
  assert.deepEqual(validateK8sObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }), []);
  assert.deepEqual(
    validateK8sObject({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'r' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    }),
    [],
  );
});

test('broken objects yield their problems with paths', () => {
  const noSelector = daemonSet() as { spec: Record<string, unknown> };
  delete noSelector.spec.selector;
  assert.deepEqual(validateK8sObject(noSelector), ['/spec: must have required property selector']);

  const badContainers = daemonSet();
  (badContainers.spec.template.spec as Record<string, unknown>).containers = 'x';
  assert.deepEqual(validateK8sObject(badContainers), ['/spec/template/spec/containers: must be array']);

  const badProtocol = daemonSet();
  Object.assign(badProtocol.spec.template.spec.containers[0]!, {
    ports: [{ containerPort: 'eighty', protocol: 'TCP' }],
  });
  assert.deepEqual(validateK8sObject(badProtocol), [
    '/spec/template/spec/containers/0/ports/0/containerPort: must be integer',
  ]);

  assert.deepEqual(validateK8sObject([]), ['/: must be an object']);
  assert.deepEqual(validateK8sObject({ kind: 'Namespace' }), ['/: apiVersion and kind must be strings']);
});

test('kinds without a built-in schema are marked, not passed', () => {
  const sm = validateK8sObject({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: 'x' },
  });
  assert.deepEqual(sm, ['no schema for monitoring.coreos.com/v1 ServiceMonitor']);
  assert.ok(isNoSchema(sm));
  assert.ok(isNoSchema(validateK8sObject({ apiVersion: 'apps/v1', kind: 'DaemonSetSpec' })), 'not a top-level kind');
  assert.ok(isNoSchema(validateK8sObject({ apiVersion: 'apps/v2', kind: 'DaemonSet' })));
  assert.ok(!isNoSchema(validateK8sObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 7 } })));
});

test('the applyable pinned sets validate (CRD instances only lack a schema)', async (t) => {
  const seed = testSeedDir();
  if (!seed) return t.skip(NO_SEED);
  const lock = await loadLock();
  const noSchema = new Set<string>();
  let validated = 0;
  for (const id of [
    'flannel',
    'metrics-server',
    'nfs-subdir-external-provisioner',
    'nfs-subdir-external-provisioner-test',
    'kube-prometheus',
  ]) {
    for (const f of lockedFiles(lock, id)) {
      for (const o of parseManifests(await readFile(join(seed, f.path), 'utf8'), f.path)) {
        const problems = validateK8sObject(o);
        if (isNoSchema(problems)) noSchema.add(String(o.apiVersion));
        else {
          assert.deepEqual(problems, [], `${f.path} ${String(o.kind)}`);
          validated++;
        }
      }
    }
  }
  assert.deepEqual([...noSchema], ['monitoring.coreos.com/v1']);
  assert.ok(validated > 80, `only ${validated} objects had a schema`);
});
