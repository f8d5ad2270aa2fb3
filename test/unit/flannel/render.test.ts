import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderFlannel } from '../../../scripts/render/flannel.js';
import { loadLock, lockedFiles } from '../../../scripts/manifests/lock.js';
import { fetchManifestObjects } from '../../../scripts/manifests/store.js';
import { stringifyManifests, type K8sObject } from '../../../scripts/manifests/yaml.js';
import { StepError } from '../../../scripts/engine/errors.js';
import { isNoSchema, validateK8sObject } from '../../support/k8s-schema.js';
import { NO_SEED, testSeedDir } from '../../support/seed.js';

/** The pinned kube-flannel.yml as objects (through the manifest store, seeded from the shared upstream tree). */
async function pinnedFlannel(): Promise<K8sObject[] | undefined> {
  const seed = testSeedDir();
  if (!seed) return undefined;
  const cacheDir = await mkdtemp(join(tmpdir(), 'kubelab-flannel-'));
  try {
    const [entry] = lockedFiles(await loadLock(), 'flannel');
    return await fetchManifestObjects(entry!, { cacheDir, offline: true, seedDirs: [seed] });
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

const find = (objs: K8sObject[], kind: string) => objs.find((o) => o.kind === kind) as any;
const netConf = (objs: K8sObject[]) => find(objs, 'ConfigMap').data['net-conf.json'] as string;
const flannelArgs = (objs: K8sObject[]) =>
  find(objs, 'DaemonSet').spec.template.spec.containers.find((c: any) => c.name === 'kube-flannel').args as string[];

test('Network is the pod subnet; the rest of net-conf.json is kept, formatted like upstream', async (t) => {
  const objs = await pinnedFlannel();
  if (!objs) return t.skip(NO_SEED);
  const out = renderFlannel(objs, { podSubnet: '10.32.0.0/16', ifaces: ['enp0s8'] });
  assert.equal(
    netConf(out),
    '{\n  "Network": "10.32.0.0/16",\n  "EnableNFTables": false,\n  "Backend": {\n    "Type": "vxlan"\n  }\n}\n',
  );
  assert.equal(netConf(objs), netConf(out).replace('10.32.0.0/16', '10.244.0.0/16'), 'upstream text shape kept');
  assert.equal(find(out, 'ConfigMap').data['cni-conf.json'], find(objs, 'ConfigMap').data['cni-conf.json']);
});

test('one --iface per distinct interface in node order; other args kept', async (t) => {
  const objs = await pinnedFlannel();
  if (!objs) return t.skip(NO_SEED);
  const out = renderFlannel(objs, { podSubnet: '10.244.0.0/16', ifaces: ['eth1', 'enp0s8', 'eth1', 'enp0s8'] });
  assert.deepEqual(flannelArgs(out), [
    '--ip-masq',
    '--kube-subnet-mgr',
    '--healthz-port=8081',
    '--iface=eth1',
    '--iface=enp0s8',
  ]);
  assert.deepEqual(flannelArgs(objs), ['--ip-masq', '--kube-subnet-mgr', '--healthz-port=8081'], 'input untouched');
  assert.deepEqual(
    renderFlannel(objs, { podSubnet: '10.244.0.0/16', ifaces: [] }).map((o) => o.kind),
    objs.map((o) => o.kind),
  );
});

test('existing --iface / --iface-regex flags are replaced, in every spelling', async (t) => {
  const objs = await pinnedFlannel();
  if (!objs) return t.skip(NO_SEED);
  const edited = structuredClone(objs);
  const c = find(edited, 'DaemonSet').spec.template.spec.containers[0];
  c.args = [
    '--iface=eth0',
    '--ip-masq',
    '--iface',
    'eth9',
    '--iface-regex=^en',
    '-iface=x',
    '--kube-subnet-mgr',
    '--iface-can-reach=1.1.1.1',
  ];
  assert.deepEqual(flannelArgs(renderFlannel(edited, { podSubnet: '10.244.0.0/16', ifaces: ['enp0s8'] })), [
    '--ip-masq',
    '--kube-subnet-mgr',
    '--iface-can-reach=1.1.1.1',
    '--iface=enp0s8',
  ]);
});

test('rendering is stable: twice gives the same objects and bytes', async (t) => {
  const objs = await pinnedFlannel();
  if (!objs) return t.skip(NO_SEED);
  const s = { podSubnet: '10.244.0.0/16', ifaces: ['eth1', 'enp0s8'] };
  const once = renderFlannel(objs, s);
  const twice = renderFlannel(once, s);
  assert.deepEqual(twice, once);
  assert.equal(stringifyManifests(twice), stringifyManifests(once));
  assert.equal(stringifyManifests(renderFlannel(objs, s)), stringifyManifests(once));
});

test('every rendered flannel object validates against the Kubernetes schema', async (t) => {
  const objs = await pinnedFlannel();
  if (!objs) return t.skip(NO_SEED);
  const out = renderFlannel(objs, { podSubnet: '10.244.0.0/16', ifaces: ['eth1', 'enp0s8'] });
  assert.equal(out.length, 6);
  for (const o of out) assert.deepEqual(validateK8sObject(o), [], String(o.kind));

  const broken = structuredClone(out);
  find(broken, 'DaemonSet').spec.template.spec.containers = 'x';
  delete find(broken, 'DaemonSet').spec.selector;
  const problems = validateK8sObject(find(broken, 'DaemonSet'));
  assert.equal(problems.length, 2, problems.join('; '));
  assert.ok(!isNoSchema(problems));
});

test('a manifest without the expected objects or bad interface names is an error', async (t) => {
  const objs = await pinnedFlannel();
  if (!objs) return t.skip(NO_SEED);
  assert.throws(
    () =>
      renderFlannel(
        objs.filter((o) => o.kind !== 'ConfigMap'),
        { podSubnet: '10.244.0.0/16', ifaces: [] },
      ),
    (e: unknown) => e instanceof StepError && e.message === 'flannel manifest: no ConfigMap kube-flannel-cfg',
  );
  const renamed = structuredClone(objs);
  find(renamed, 'DaemonSet').spec.template.spec.containers[0].name = 'flanneld';
  assert.throws(() => renderFlannel(renamed, { podSubnet: '10.244.0.0/16', ifaces: [] }), /no container kube-flannel/);
  assert.throws(
    () => renderFlannel(objs, { podSubnet: '10.244.0.0/16', ifaces: ['eth1 --ip-masq'] }),
    /invalid interface name/,
  );
});

/**
 * Runs `use` with the flannel step's objects (desiredFlannel, --iface=eth1) for a test inventory of the given spec,
 * the manifest store seeded from the shared upstream tree into a temporary cache.
 */
async function withDesiredFlannel(use: (desired: (spec: Record<string, unknown>) => Promise<K8sObject[]>) => Promise<void>): Promise<void> {
  const { desiredFlannel } = await import('../../../scripts/steps/flannel.js');
  const { testInventory } = await import('../../support/inventory.js');
  const cacheDir = await mkdtemp(join(tmpdir(), 'kubelab-flannel-'));
  try {
    const settings = { offline: true, manifestCacheDir: cacheDir, manifestSeedDirs: [testSeedDir()!], artifactCacheDir: cacheDir };
    await use((spec) => desiredFlannel({ inv: testInventory(spec), settings }, ['eth1']));
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

test('emulated lab: flannel probes relaxed by the wait factor (upstream 1 s, 3 failures); standard: unchanged', async (t) => {
  const objs = await pinnedFlannel();
  if (!objs) return t.skip(NO_SEED);
  await withDesiredFlannel(async (desired) => {
    const probes = async (spec: Record<string, unknown>) => {
      const c = find(await desired(spec), 'DaemonSet').spec.template.spec.containers.find((x: any) => x.name === 'kube-flannel');
      return { liveness: c.livenessProbe, readiness: c.readinessProbe };
    };
    const upstream = find(objs, 'DaemonSet').spec.template.spec.containers.find((x: any) => x.name === 'kube-flannel');
    const standard = await probes({});
    assert.deepEqual(standard.liveness, upstream.livenessProbe);
    assert.deepEqual(standard.readiness, upstream.readinessProbe);
    const emulated = await probes({ timing: { profile: 'emulated' } });
    assert.deepEqual(emulated.liveness, { ...upstream.livenessProbe, timeoutSeconds: 4, failureThreshold: 12 });
    assert.deepEqual(emulated.readiness, { ...upstream.readinessProbe, timeoutSeconds: 4, failureThreshold: 12 });
  });
});

test('--iptables-resync: set when asked, replacing any other spelling of it; left out otherwise', async (t) => {
  const objs = await pinnedFlannel();
  if (!objs) return t.skip(NO_SEED);
  const plain = flannelArgs(renderFlannel(objs, { podSubnet: '10.244.0.0/16', ifaces: ['eth1'] }));
  assert.ok(!plain.some((a) => a.includes('iptables-resync')), plain.join(' '));
  const edited = structuredClone(objs);
  const c = find(edited, 'DaemonSet').spec.template.spec.containers.find((x: any) => x.name === 'kube-flannel');
  c.args = ['--ip-masq', '--iptables-resync', '5', '-iptables-resync=7', '--kube-subnet-mgr'];
  assert.deepEqual(flannelArgs(renderFlannel(edited, { podSubnet: '10.244.0.0/16', ifaces: ['eth1'], iptablesResyncS: 60 })), [
    '--ip-masq',
    '--kube-subnet-mgr',
    '--iface=eth1',
    '--iptables-resync=60',
  ]);
  assert.throws(() => renderFlannel(objs, { podSubnet: '10.244.0.0/16', ifaces: ['eth1'], iptablesResyncS: 0 }), StepError);
});

test('emulated lab: flanneld checks its iptables rules every 60 s; standard: flannel default (no flag)', async (t) => {
  if (!testSeedDir()) return t.skip(NO_SEED);
  await withDesiredFlannel(async (desired) => {
    const args = async (spec: Record<string, unknown>) => flannelArgs(await desired(spec));
    assert.ok(!(await args({})).some((a) => a.includes('iptables-resync')));
    assert.equal((await args({ timing: { profile: 'emulated' } })).filter((a) => a.startsWith('--iptables-resync')).join(), '--iptables-resync=60');
  });
});
