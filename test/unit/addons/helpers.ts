/** Shared helpers for the addon tests (not a test file itself). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { hostContext } from '../../../scripts/engine/run.js';
import type { RunSettings } from '../../../scripts/engine/types.js';
import type { Inventory } from '../../../scripts/inventory/types.js';
import { setClusterApi } from '../../../scripts/k8s/cluster-api.js';
import type { CsrRecord } from '../../../scripts/k8s/csr.js';
import type { K8sObject } from '../../../scripts/manifests/yaml.js';
import { testCluster, TEST_SETTINGS } from '../../support/cluster.js';
import { FakeApi } from '../../support/fake-api.js';
import { validateK8sObject, isNoSchema } from '../../support/k8s-schema.js';
import { RecordingPool } from '../../support/plan-fixture.js';
import { RecordedFacts } from '../../support/recorded-facts.js';
import { ROOT, seedSettings, testSeedDir } from '../../support/seed.js';

export const seed = testSeedDir();
export { seedSettings };

/** A loader run once: the pinned files are parsed once per test file (the renders never modify their input). */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= load());
}

/** What the desired* functions need: the inventory and settings reading the seed. */
export const cluster = (inv: Inventory): { inv: Inventory; settings: RunSettings } => ({ inv, settings: { ...TEST_SETTINGS, ...seedSettings() } });

/** The control-plane host of a test cluster with a FakeApi; `adminConf` false = no cluster yet. */
export function setup(inv: Inventory, opts: { adminConf?: boolean } = {}) {
  const master = inv.spec.nodes.find((n) => n.role === 'control-plane')!;
  const facts = new RecordedFacts({ 'kubeadm-files': { stdout: opts.adminConf === false ? '' : '/etc/kubernetes/admin.conf\n' } });
  const c = testCluster(inv, 'apply', new RecordingPool(), new Map(), seedSettings());
  const api = new FakeApi();
  setClusterApi(c, api);
  const host = hostContext(c, master, new RecordingPool().get(master), facts);
  return { cluster: c, host, api };
}

/** Every object schema-valid; CRD instances (no built-in schema) accepted as such. */
export function assertSchemaValid(objs: readonly K8sObject[]): void {
  for (const o of objs) {
    const problems = validateK8sObject(o);
    if (isNoSchema(problems)) continue;
    assert.deepEqual(problems, [], `${String(o.kind)} ${(o.metadata as { name: string }).name} validates`);
  }
}

export const named = (objs: readonly K8sObject[], kind: string, name: string, namespace?: string): any => {
  const o = objs.find((x) => {
    const m = x.metadata as { name: string; namespace?: string };
    return x.kind === kind && m.name === name && (namespace === undefined || m.namespace === namespace);
  });
  assert.ok(o, `${kind} ${namespace ? `${namespace}/` : ''}${name} present`);
  return o;
};

export const containerOf = (workload: any, name: string): any => {
  const c = workload.spec.template.spec.containers.find((x: any) => x.name === name);
  assert.ok(c, `container ${name}`);
  return c;
};

/** The recorded CSRs (test/unit/addons/fixtures/kubelet-serving-csrs.yaml). */
export function recordedCsrs(): CsrRecord[] {
  const doc = parse(readFileSync(join(ROOT, 'test', 'unit', 'addons', 'fixtures', 'kubelet-serving-csrs.yaml'), 'utf8')) as { items: CsrRecord[] };
  return doc.items;
}
