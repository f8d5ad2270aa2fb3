/** `kubelab render` through the real CLI on the example inventory: files written, all of it valid. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { validateK8sObject } from '../../support/k8s-schema.js';
import { NO_SEED, testSeedDir } from '../../support/seed.js';

const CLI = resolve('dist/scripts/kubelab.js');
const seed = testSeedDir();
const dirs: string[] = [];

function render(inventory: string): { out: string; code: number; stdout: string; stderr: string; cwd: string } {
  const cwd = mkdtempSync(join(tmpdir(), 'kubelab-render-'));
  dirs.push(cwd);
  const out = join(cwd, 'out');
  const r = spawnSync(process.execPath, [CLI, 'render', '-i', inventory, '--out', out, '--offline'], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, KUBELAB_MANIFEST_SEED: seed, KUBELAB_MANIFEST_CACHE: join(cwd, 'cache') },
  });
  return { out, code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, cwd };
}

const docs = (file: string): any[] => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());

describe('kubelab render', { skip: seed ? undefined : NO_SEED }, () => {
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('example inventory (1.35): kubeadm v1beta4 configs with the inventory addresses, flannel on the podSubnet with --iface, all valid', () => {
    const r = render(resolve('inventory/example.yaml'));
    assert.equal(r.code, 0, r.stderr);
    const init = docs(join(r.out, 'master/etc/kubernetes/kubelab/kubeadm-init.yaml'));
    const byKind = new Map(init.map((d) => [d.kind, d]));
    assert.deepEqual([...byKind.keys()], ['InitConfiguration', 'ClusterConfiguration', 'KubeletConfiguration']);
    const ic = byKind.get('InitConfiguration');
    assert.equal(ic.apiVersion, 'kubeadm.k8s.io/v1beta4');
    assert.equal(ic.localAPIEndpoint.advertiseAddress, '192.168.56.10');
    assert.deepEqual(ic.nodeRegistration.kubeletExtraArgs, [{ name: 'node-ip', value: '192.168.56.10' }]);
    assert.equal(ic.nodeRegistration.criSocket, 'unix:///var/run/containerd/containerd.sock');
    const cc = byKind.get('ClusterConfiguration');
    assert.deepEqual(cc.networking, { podSubnet: '10.244.0.0/16', serviceSubnet: '10.96.0.0/12' });
    assert.equal(cc.controlPlaneEndpoint, 'master:6443');
    assert.equal(byKind.get('KubeletConfiguration').cgroupDriver, 'systemd');

    const [join1] = docs(join(r.out, 'worker1/etc/kubernetes/kubelab/kubeadm-join.yaml'));
    assert.equal(join1.kind, 'JoinConfiguration');
    assert.deepEqual(join1.nodeRegistration.kubeletExtraArgs, [{ name: 'node-ip', value: '192.168.56.11' }]);
    assert.equal(join1.discovery.bootstrapToken.apiServerEndpoint, 'master:6443');

    const flannel = docs(join(r.out, 'cluster/flannel.yaml'));
    for (const o of flannel) assert.deepEqual(validateK8sObject(o), [], `${o.kind} ${o.metadata?.name}`);
    const cm = flannel.find((o) => o.kind === 'ConfigMap');
    assert.equal(JSON.parse(cm.data['net-conf.json']).Network, '10.244.0.0/16');
    const ds = flannel.find((o) => o.kind === 'DaemonSet');
    const args: string[] = ds.spec.template.spec.containers.find((c: any) => c.name === 'kube-flannel').args;
    assert.deepEqual(args.filter((a) => a.startsWith('--iface')), ['--iface=192.168.56.10', '--iface=192.168.56.11']);

    assert.match(readFileSync(join(r.out, 'master/etc/hosts'), 'utf8'), /^192\.168\.56\.11 worker1$/m);
    // install: binaries (the default): the kubelet unit as the packages ship it, and no apt repository
    assert.match(readFileSync(join(r.out, 'worker1/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf'), 'utf8'), /^EnvironmentFile=-\/var\/lib\/kubelet\/kubeadm-flags\.env$/m);
    assert.ok(!existsSync(join(r.out, 'worker1/etc/apt/sources.list.d/kubernetes.list')));
    assert.ok(existsSync(join(r.out, 'NOTES.md')));
    // nothing was contacted: no state (logs, known hosts) was created for the cluster
    assert.ok(!existsSync(join(r.cwd, '.kubelab', 'lab')));
  });

  it('Kubernetes 1.30: v1beta3 with map-shaped kubeletExtraArgs and extraArgs', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'kubelab-render-inv-'));
    dirs.push(cwd);
    const inv = parse(readFileSync('inventory/example.yaml', 'utf8'));
    inv.spec.kubernetes.version = '1.30';
    inv.spec.kubernetes.imageRepository = 'registry.aliyuncs.com/google_containers';
    const file = join(cwd, 'inv130.yaml');
    writeFileSync(file, stringify(inv));
    const r = render(file);
    assert.equal(r.code, 0, r.stderr);
    const init = docs(join(r.out, 'master/etc/kubernetes/kubelab/kubeadm-init.yaml'));
    assert.equal(init[0].apiVersion, 'kubeadm.k8s.io/v1beta3');
    assert.deepEqual(init[0].nodeRegistration.kubeletExtraArgs, { 'node-ip': '192.168.56.10' });
    const cc = init.find((d) => d.kind === 'ClusterConfiguration');
    assert.equal(cc.kubernetesVersion, 'v1.30.0');
    assert.deepEqual(cc.scheduler.extraArgs, { 'bind-address': '0.0.0.0' });
    assert.equal(cc.imageRepository, 'registry.aliyuncs.com/google_containers');
    assert.equal(cc.dns.imageRepository, 'registry.aliyuncs.com/google_containers');
  });

  it('addons: NFS provisioner, metrics-server and kube-prometheus rendered when enabled, all schema-valid', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'kubelab-render-inv-'));
    dirs.push(cwd);
    const inv = parse(readFileSync('inventory/example.yaml', 'utf8'));
    inv.spec.nfs = { server: 'master' };
    inv.spec.addons = { monitoring: { enabled: true } };
    const file = join(cwd, 'addons.yaml');
    writeFileSync(file, stringify(inv));
    const r = render(file);
    assert.equal(r.code, 0, r.stderr);
    const seen = new Set<string>();
    for (const name of ['nfs-provisioner', 'metrics-server', 'kube-prometheus-setup', 'kube-prometheus']) {
      const objs = docs(join(r.out, `cluster/addons/${name}.yaml`));
      assert.ok(objs.length > 0, name);
      for (const o of objs) {
        const problems = validateK8sObject(o);
        // CRD instances (ServiceMonitor, Prometheus, ...) have no schema here
        if (!(problems.length === 1 && problems[0]!.startsWith('no schema for'))) assert.deepEqual(problems, [], `${name}: ${o.kind} ${o.metadata?.name}`);
        seen.add(`${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`);
      }
    }
    const sc = docs(join(r.out, 'cluster/addons/nfs-provisioner.yaml')).find((o) => o.kind === 'StorageClass');
    assert.equal(sc.metadata.annotations['storageclass.kubernetes.io/is-default-class'], 'true');
    // metrics-server and prometheus-adapter both claim v1beta1.metrics.k8s.io: only one is rendered
    assert.equal([...seen].filter((k) => k.startsWith('APIService//v1beta1.metrics.k8s.io')).length, 1);
  });

  it('--offline with no cached manifests: exit 1 naming the missing file and how to fill the cache, no stack', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'kubelab-render-empty-'));
    dirs.push(cwd);
    const r = spawnSync(process.execPath, [CLI, 'render', '-i', resolve('inventory/example.yaml'), '--out', join(cwd, 'out'), '--offline'], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, KUBELAB_MANIFEST_SEED: '', KUBELAB_MANIFEST_CACHE: join(cwd, 'cache') },
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /kube-flannel\.yml/);
    assert.match(r.stderr, /hint: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('--out: a file or a foreign folder is refused, /proc fails at once, a second render leaves nothing of the first', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'kubelab-render-out-'));
    dirs.push(cwd);
    const run = (out: string, inventory = resolve('inventory/example.yaml'), timeout?: number) =>
      spawnSync(process.execPath, [CLI, 'render', '-i', inventory, '--out', out, '--offline'], {
        cwd,
        encoding: 'utf8',
        timeout,
        env: { ...process.env, KUBELAB_MANIFEST_SEED: seed, KUBELAB_MANIFEST_CACHE: join(cwd, 'cache') },
      });
    writeFileSync(join(cwd, 'a-file'), 'x');
    const file = run(join(cwd, 'a-file'));
    assert.equal(file.status, 2, file.stderr);
    assert.match(file.stderr, /--out .*a-file: exists and is not a folder/);
    assert.doesNotMatch(file.stderr, /internal error|\n\s+at /);
    mkdirSync(join(cwd, 'foreign'));
    writeFileSync(join(cwd, 'foreign', 'mine.txt'), 'x');
    const foreign = run(join(cwd, 'foreign'));
    assert.equal(foreign.status, 2, foreign.stderr);
    assert.match(foreign.stderr, /not empty and was not written by kubelab render/);
    const proc = run('/proc/kubelab-nope/out', undefined, 600_000);
    assert.equal(proc.error, undefined, 'render under /proc returned (it used to spin forever)');
    assert.equal(proc.status, 1, proc.stderr);
    assert.match(proc.stderr, /render: cannot write \/proc\/kubelab-nope/);

    // first render: every node of the example; second: one node less -> that node's folder is gone
    const out = join(cwd, 'out');
    assert.equal(run(out).status, 0);
    const first = readdirSync(out).sort();
    assert.ok(first.includes('worker1'), first.join(' '));
    writeFileSync(join(out, 'my-notes.txt'), 'kept');
    const text = readFileSync(resolve('inventory/example.yaml'), 'utf8');
    const inv = parse(text);
    inv.spec.nodes = inv.spec.nodes.filter((n: { name: string }) => n.name !== 'worker1');
    if (inv.spec.nfs?.server === 'worker1') delete inv.spec.nfs;
    const smaller = join(cwd, 'smaller.yaml');
    writeFileSync(smaller, stringify(inv));
    const second = run(out, smaller);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /the \d+ files of the previous render there were removed first/);
    assert.ok(!existsSync(join(out, 'worker1')), 'nothing of the first render is left behind');
    assert.equal(readFileSync(join(out, 'my-notes.txt'), 'utf8'), 'kept', 'files render did not write stay');
  });

  it('without --out: a usage error, exit 2', () => {
    const r = spawnSync(process.execPath, [CLI, 'render', '-i', 'inventory/example.yaml'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--out DIR is required/);
  });
});
