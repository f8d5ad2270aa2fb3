/**
 * spec.timing in the kubeadm config: v1beta4 `timeouts` scaled by waitFactor, leader election off in an emulated lab;
 * the rendered files accepted by the real kubeadm (`kubeadm config validate`) when KUBELAB_TEST_K8S_DIR is set.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PHASES } from '../../../scripts/phases/index.js';
import { INIT_TIMEOUT_MS } from '../../../scripts/steps/kubeadm-init.js';
import { JOIN_TIMEOUT_MS } from '../../../scripts/steps/kubeadm-join.js';
import type { ExecOptions, ExecResult } from '../../../scripts/transport/types.js';
import { readFixtures, runPlanFixture } from '../../support/plan-fixture.js';
import { RecordingTransport } from '../../support/recording-transport.js';
import { KUBEADM_PATCHES_DIR, KUBEADM_TIMEOUT_DEFAULTS_S, kubeadmYaml, renderInitConfig, renderJoinConfig, staticPodProbePatches, type KubeadmDocument } from '../../../scripts/render/kubeadm.js';
import { parse, parseAllDocuments } from 'yaml';
import { kubeApiHealth } from '../../../scripts/facts/kube-api-health.js';
import { apiConnectTimeouts } from '../../../scripts/k8s/connect.js';
import { testInventory } from '../../support/inventory.js';

type Obj = Record<string, any>;
const run = promisify(execFile);

const byKind = (docs: KubeadmDocument[]): Record<string, Obj> => Object.fromEntries(docs.map((d) => [d.kind, d]));
const argsOf = (list: { name: string; value: string }[]): Record<string, string> => Object.fromEntries(list.map((a) => [a.name, a.value]));
const JOIN = { token: 'abcdef.0123456789abcdef', caCertHash: `sha256:${'ab'.repeat(32)}` };
const EMULATED = { timing: { profile: 'emulated' } };

function rendered(spec: Obj, version: string): { init: Record<string, Obj>; join: Obj } {
  const inv = testInventory(spec);
  return {
    init: byKind(renderInitConfig(inv, inv.spec.nodes[0]!, { kubernetesVersion: version })),
    join: renderJoinConfig(inv, inv.spec.nodes[1]!, { kubernetesVersion: version, ...JOIN }),
  };
}

describe('kubeadm config for spec.timing', () => {
  it('renders no timeouts and keeps leader election by default', () => {
    const { init, join } = rendered({}, 'v1.35.4');
    assert.equal(init.InitConfiguration!.timeouts, undefined);
    assert.equal(join.timeouts, undefined);
    assert.deepEqual(argsOf(init.ClusterConfiguration!.controllerManager.extraArgs), { 'bind-address': '0.0.0.0' });
    assert.deepEqual(argsOf(init.ClusterConfiguration!.scheduler.extraArgs), { 'bind-address': '0.0.0.0' });
    assert.equal(init.ClusterConfiguration!.encryptionAlgorithm, undefined, "kubeadm's default RSA-2048 keys");
    assert.equal(init.ClusterConfiguration!.apiServer, undefined, "the API server's etcd checks keep their 2 s");
    assert.equal(kubeApiHealth(testInventory({})).argv.at(-1), '5', '/livez read with a 5 s request timeout');
    assert.deepEqual(argsOf(init.InitConfiguration!.nodeRegistration.kubeletExtraArgs), { 'node-ip': '192.168.56.10' }, "the kubelet's own housekeeping");
    assert.deepEqual(argsOf(join.nodeRegistration.kubeletExtraArgs), { 'node-ip': '192.168.56.11' });
  });

  it("emulated: the API server's etcd checks wait the waitFactor times 2 s (at most 30 s), and kubelab's /livez read waits for them", () => {
    const { init } = rendered(EMULATED, 'v1.35.4');
    assert.deepEqual(argsOf(init.ClusterConfiguration!.apiServer.extraArgs), { 'etcd-healthcheck-timeout': '8s', 'etcd-readycheck-timeout': '8s' });
    assert.equal(kubeApiHealth(testInventory(EMULATED)).argv.at(-1), '13');
    const slow = rendered({ timing: { profile: 'emulated', waitFactor: 20 } }, 'v1.35.4').init;
    assert.equal(argsOf(slow.ClusterConfiguration!.apiServer.extraArgs)['etcd-healthcheck-timeout'], '30s');
    assert.deepEqual(rendered({ ...EMULATED, kubernetes: { version: '1.30' } }, 'v1.30.14').init.ClusterConfiguration!.apiServer.extraArgs, {
      'etcd-healthcheck-timeout': '8s',
      'etcd-readycheck-timeout': '8s',
    });
  });

  it('emulated: kubeadm timeouts four times the defaults on init and join, leader election off', () => {
    const { init, join } = rendered(EMULATED, 'v1.35.4');
    const expected = Object.fromEntries(Object.entries(KUBEADM_TIMEOUT_DEFAULTS_S).map(([k, s]) => [k, `${s * 4}s`]));
    assert.deepEqual(init.InitConfiguration!.timeouts, expected);
    assert.deepEqual(join.timeouts, expected);
    assert.equal(init.InitConfiguration!.timeouts.controlPlaneComponentHealthCheck, '960s');
    for (const c of ['controllerManager', 'scheduler']) {
      assert.deepEqual(argsOf(init.ClusterConfiguration![c].extraArgs), { 'bind-address': '0.0.0.0', 'leader-elect': 'false' });
    }
    assert.equal(init.ClusterConfiguration!.encryptionAlgorithm, 'ECDSA-P256', 'cheap TLS handshakes under emulation');
    // cAdvisor reads every container's cgroup files a third as often, on every node
    assert.deepEqual(argsOf(init.InitConfiguration!.nodeRegistration.kubeletExtraArgs), { 'node-ip': '192.168.56.10', 'housekeeping-interval': '30s' });
    assert.deepEqual(argsOf(join.nodeRegistration.kubeletExtraArgs), { 'node-ip': '192.168.56.11', 'housekeeping-interval': '30s' });
  });

  it("the API connection's handshake waits (2 s direct, 10 s through the SSH forward) times the factor", () => {
    assert.deepEqual(apiConnectTimeouts(testInventory({})), { directTimeoutMs: 2000, forwardTimeoutMs: 10_000 });
    assert.deepEqual(apiConnectTimeouts(testInventory({ timing: { profile: 'emulated', waitFactor: 8 } })), { directTimeoutMs: 16_000, forwardTimeoutMs: 80_000 });
  });

  it('an explicit waitFactor wins over the profile default and alone does not touch leader election', () => {
    const { init } = rendered({ timing: { waitFactor: 2.5 } }, 'v1.35.4');
    assert.equal(init.InitConfiguration!.timeouts.kubernetesAPICall, '150s');
    assert.equal(argsOf(init.ClusterConfiguration!.scheduler.extraArgs)['leader-elect'], undefined);
    assert.equal(rendered({ timing: { profile: 'emulated', waitFactor: 1 } }, 'v1.35.4').init.InitConfiguration!.timeouts, undefined);
  });

  it('v1beta3 (Kubernetes 1.30) keeps kubeadm\'s timeouts; leader election is off there too (a map)', () => {
    const { init, join } = rendered({ ...EMULATED, kubernetes: { version: '1.30' } }, 'v1.30.14');
    assert.equal(init.InitConfiguration!.apiVersion, 'kubeadm.k8s.io/v1beta3');
    assert.equal(init.InitConfiguration!.timeouts, undefined);
    assert.equal(join.timeouts, undefined);
    assert.equal(init.ClusterConfiguration!.encryptionAlgorithm, undefined, 'v1beta3 has no encryptionAlgorithm');
    assert.deepEqual(init.ClusterConfiguration!.controllerManager.extraArgs, { 'bind-address': '0.0.0.0', 'leader-elect': 'false' });
    assert.deepEqual(join.nodeRegistration.kubeletExtraArgs, { 'node-ip': '192.168.56.11', 'housekeeping-interval': '30s' });
  });
});

/** Records the timeout each command was given. */
class TimedTransport extends RecordingTransport {
  readonly timeouts = new Map<string, number | undefined>();
  override async exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
    this.timeouts.set(argv.slice(0, 2).join(' '), opts?.timeoutMs);
    return super.exec(argv, opts);
  }
}

const PLAN = fileURLToPath(new URL('../../../../test/fixtures/plan/', import.meta.url));

/** Applies the recorded plan fixture with spec.timing set; the kubeadm commands' timeouts. */
async function kubeadmTimeouts(phaseName: string, file: string, timing: Obj | undefined): Promise<Map<string, number | undefined>> {
  const fx = readFixtures(PLAN + phaseName).find((f) => f.file === file)!.fx;
  const pool: TimedTransport[] = [];
  const transport = (name: string): TimedTransport => {
    const t = new TimedTransport(name);
    pool.push(t);
    return t;
  };
  await runPlanFixture(PHASES.find((p) => p.name === phaseName)!, { ...fx, ...(timing ? { spec: { ...fx.spec, timing } } : {}), files: undefined, filesContain: undefined }, PLAN + phaseName, transport);
  const out = new Map<string, number | undefined>();
  for (const t of pool) for (const [k, v] of t.timeouts) if (k.startsWith('kubeadm ')) out.set(k, v);
  return out;
}

describe('kubeadm commands get spec.timing.waitFactor times their timeout', () => {
  it('init: image pull and init', async () => {
    assert.deepEqual(Object.fromEntries(await kubeadmTimeouts('control-plane', 'fresh-1.35.yaml', undefined)), { 'kubeadm config': INIT_TIMEOUT_MS, 'kubeadm init': INIT_TIMEOUT_MS });
    assert.deepEqual(Object.fromEntries(await kubeadmTimeouts('control-plane', 'fresh-1.35.yaml', { waitFactor: 3 })), { 'kubeadm config': INIT_TIMEOUT_MS * 3, 'kubeadm init': INIT_TIMEOUT_MS * 3 });
  });

  it('join', async () => {
    assert.equal((await kubeadmTimeouts('join', 'recorded-fresh-worker.yaml', { waitFactor: 1 })).get('kubeadm join'), JOIN_TIMEOUT_MS);
    assert.equal((await kubeadmTimeouts('join', 'recorded-fresh-worker.yaml', { profile: 'emulated' })).get('kubeadm join'), JOIN_TIMEOUT_MS * 4);
  });
});

/** The real kubeadm of ../shared/k8s (unpacked under KUBELAB_TEST_K8S_DIR/bin), or undefined. */
function realKubeadm(): string | undefined {
  const dir = process.env.KUBELAB_TEST_K8S_DIR;
  const bin = dir ? join(dir, 'bin', 'kubeadm') : undefined;
  return bin && existsSync(bin) ? bin : undefined;
}

const kubeadm = realKubeadm();

describe('the real kubeadm v1.35 accepts the rendered configs', { skip: kubeadm ? false : 'set KUBELAB_TEST_K8S_DIR to a folder made by ../shared/k8s/unpack.sh DIR (needs bin/kubeadm)' }, () => {
  async function validate(docs: KubeadmDocument[]): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'kubelab-kubeadm-'));
    try {
      const file = join(dir, 'kubeadm.yaml');
      await writeFile(file, kubeadmYaml(docs));
      // validate is strict: an unknown or misspelt field (e.g. timeouts.tlsBootStrap) is an error, not a warning
      const r = await run(kubeadm!, ['config', 'validate', '--config', file], { timeout: 60_000 });
      return r.stdout + r.stderr;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  for (const [title, spec] of [['default', {}], ['emulated', EMULATED]] as const) {
    it(`${title}: init and join configs validate`, async () => {
      const inv = testInventory(spec);
      const version = (await run(kubeadm!, ['version', '-o', 'short'])).stdout.trim();
      assert.match(await validate(renderInitConfig(inv, inv.spec.nodes[0]!, { kubernetesVersion: version })), /ok/);
      assert.match(await validate([renderJoinConfig(inv, inv.spec.nodes[1]!, { kubernetesVersion: version, ...JOIN })]), /ok/);
    });
  }

  it("kubeadm init's own bootstrap token expires after 10 minutes, with kubeadm's usages and groups (config migrate)", async () => {
    const inv = testInventory();
    const version = (await run(kubeadm!, ['version', '-o', 'short'])).stdout.trim();
    const dir = await mkdtemp(join(tmpdir(), 'kubelab-kubeadm-'));
    try {
      await writeFile(join(dir, 'in.yaml'), kubeadmYaml(renderInitConfig(inv, inv.spec.nodes[0]!, { kubernetesVersion: version })));
      await run(kubeadm!, ['config', 'migrate', '--old-config', join(dir, 'in.yaml'), '--new-config', join(dir, 'out.yaml')], { timeout: 60_000 });
      const docs = readFileSync(join(dir, 'out.yaml'), 'utf8').split(/^---$/m).map((d) => parse(d) as Obj | null);
      const init = docs.find((d) => d?.kind === 'InitConfiguration')!;
      assert.equal(init.bootstrapTokens.length, 1);
      assert.equal(init.bootstrapTokens[0].ttl, '10m0s');
      assert.deepEqual(init.bootstrapTokens[0].usages, ['signing', 'authentication']);
      assert.deepEqual(init.bootstrapTokens[0].groups, ['system:bootstrappers:kubeadm:default-node-token']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a misspelt timeout (validate is strict, so the tests above mean something)', async () => {
    const inv = testInventory(EMULATED);
    const docs = renderInitConfig(inv, inv.spec.nodes[0]!, { kubernetesVersion: 'v1.35.4' });
    const init = docs.find((d) => d.kind === 'InitConfiguration')!;
    const bad = { ...init, timeouts: { ...(init.timeouts as Obj), tlsBootStrap: '1s' } };
    await assert.rejects(validate([bad, ...docs.filter((d) => d !== init)]), /tlsBootStrap|unknown field/);
  });
});

describe('emulated: static-pod probe patches', () => {
  it('one strategic patch per static pod, thresholds times the factor, the init config pointing at them; none by default', () => {
    assert.deepEqual(staticPodProbePatches(testInventory({})), []);
    assert.equal(rendered({}, 'v1.35.4').init.InitConfiguration!.patches, undefined);
    const inv = testInventory(EMULATED);
    const patches = staticPodProbePatches(inv);
    assert.deepEqual(
      patches.map((p) => p.path),
      ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((n) => `${KUBEADM_PATCHES_DIR}/${n}+strategic.yaml`),
    );
    const apiserver = parse(patches[1]!.content) as Obj;
    assert.deepEqual(apiserver.spec.containers[0], {
      name: 'kube-apiserver',
      livenessProbe: { timeoutSeconds: 60, failureThreshold: 32 },
      readinessProbe: { periodSeconds: 10, timeoutSeconds: 60, failureThreshold: 12 },
      startupProbe: { timeoutSeconds: 60, failureThreshold: 96 },
    });
    // kubeadm writes no readiness probe for the controller-manager: a patch would make one without a handler
    const readiness = (v: string) =>
      staticPodProbePatches(testInventory({ ...EMULATED, kubernetes: { version: v } })).map((p) => [(parse(p.content) as Obj).spec.containers[0].name, 'readinessProbe' in (parse(p.content) as Obj).spec.containers[0]]);
    assert.deepEqual(Object.fromEntries(readiness('1.35')), { etcd: true, 'kube-apiserver': true, 'kube-controller-manager': false, 'kube-scheduler': true });
    assert.deepEqual(Object.fromEntries(readiness('1.34')), { etcd: false, 'kube-apiserver': false, 'kube-controller-manager': false, 'kube-scheduler': false });
    assert.deepEqual(rendered(EMULATED, 'v1.35.4').init.InitConfiguration!.patches, { directory: KUBEADM_PATCHES_DIR });
  });

  // kubeadm writes the static pod manifests under /etc/kubernetes: run it in a mount namespace of its own with a
  // tmpfs over /etc, so the machine's /etc is never touched
  const unshare = ['/usr/bin/unshare', '/bin/unshare'].find((p) => existsSync(p));
  const canIsolate = kubeadm && unshare && process.getuid?.() === 0;
  it('the real kubeadm applies them to the static pod manifests', { skip: canIsolate ? false : 'needs KUBELAB_TEST_K8S_DIR, root and unshare' }, async () => {
    const inv = testInventory(EMULATED);
    const dir = await mkdtemp(join(tmpdir(), 'kubelab-patches-'));
    try {
      await writeFile(join(dir, 'init.yaml'), kubeadmYaml(renderInitConfig(inv, inv.spec.nodes[0]!, { kubernetesVersion: 'v1.35.4' })));
      for (const p of staticPodProbePatches(inv)) await writeFile(join(dir, p.path.split('/').pop()!), p.content);
      const script = [
        'set -e',
        'mount -t tmpfs none /etc',
        `mkdir -p "${KUBEADM_PATCHES_DIR}"`,
        `cp "$1"/*+strategic.yaml "${KUBEADM_PATCHES_DIR}/"`,
        '"$2" init phase control-plane apiserver --config "$1/init.yaml" >/dev/null',
        '"$2" init phase control-plane scheduler --config "$1/init.yaml" >/dev/null',
        'cat /etc/kubernetes/manifests/kube-apiserver.yaml',
        'echo ---',
        'cat /etc/kubernetes/manifests/kube-scheduler.yaml',
      ].join('\n');
      const { stdout } = await run(unshare!, ['-m', 'sh', '-c', script, 'sh', dir, kubeadm!], { timeout: 60_000 });
      const [pod, scheduler] = parseAllDocuments(stdout).map((d) => d.toJS() as Obj);
      const c = pod!.spec.containers.find((x: Obj) => x.name === 'kube-apiserver');
      assert.equal(c.livenessProbe.failureThreshold, 32);
      assert.equal(c.livenessProbe.timeoutSeconds, 60);
      assert.equal(c.startupProbe.failureThreshold, 96);
      assert.equal(c.livenessProbe.httpGet.path, '/livez', 'the rest of the probe is kubeadm\'s');
      for (const [p, name] of [[pod!, 'kube-apiserver'], [scheduler!, 'kube-scheduler']] as const) {
        const r = p.spec.containers.find((x: Obj) => x.name === name).readinessProbe;
        assert.deepEqual([r.periodSeconds, r.timeoutSeconds, r.failureThreshold, r.httpGet.path], [10, 60, 12, '/readyz'], name);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
