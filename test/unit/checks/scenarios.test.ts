/**
 * The checks against recorded API responses (test/fixtures/checks/<scenario>/): a passing cluster, and one
 * failing cluster per diagnosis, each asserting the diagnosis the check names.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SMOKE_NAMESPACE } from '../../../scripts/checks/runner.js';
import { SMOKE_IMAGE } from '../../../scripts/checks/smoke-pods.js';
import type { CheckResult } from '../../../scripts/checks/types.js';
import { testInventory } from '../../support/inventory.js';
import { assertStatuses, replayChecks as run } from '../../support/check-replay.js';
import { loadScenario, scenarioInventory, TEST_SETTINGS, withAddons } from '../../support/check-scenario.js';

function failedWith(r: CheckResult, ...patterns: RegExp[]): void {
  assert.equal(r.status, 'failed', `${r.name} should fail: ${r.detail}`);
  assert.equal(r.ok, false);
  for (const p of patterns) assert.match(r.diagnosis ?? '', p, `${r.name} diagnosis`);
}

describe('checks on a healthy recorded cluster', () => {
  it('every check passes, with details of what was seen', async () => {
    const r = await run('passing');
    assertStatuses(r);
    assert.equal(r.by('nodes').detail, '2 nodes Ready with their inventory addresses (master, worker1)');
    assert.equal(r.by('system-pods').detail, '20 pods Ready in kube-system, kube-flannel, nfs-provisioner, monitoring');
    assert.equal(r.by('dns').detail, 'kubernetes.default resolved on master -> 10.96.0.1, worker1 -> 10.96.0.1');
    assert.equal(r.by('pod-network').detail, '4 pod-to-pod paths answered between master, worker1');
    assert.equal(
      r.by('services').detail,
      'ClusterIP 10.96.143.20:80 and NodePort 31234 on 192.168.56.10, 192.168.56.11 answered from master, worker1 (6 requests)',
    );
    assert.match(r.by('storage').detail, /^PVC bound to pvc-5f0c2a9e-\S+ \(StorageClass nfs-client\), file written and read back; master:\/srv\/nfs\/k8s\/kubelab-smoke-data-pvc-5f0c2a9e-\S+\/kubelab-smoke.txt holds it$/);
    assert.equal(r.by('metrics').detail, 'master cpu 183520917n memory 1203548Ki; worker1 cpu 96114255n memory 1532208Ki');
    assert.equal(r.by('monitoring').detail, '13 targets up in 10 jobs; Grafana 13.0.2 healthy (database ok)');
    assert.ok(r.results.every((x) => x.diagnosis === undefined));
    assert.equal(r.slept, 0, 'nothing had to be waited for');
  });

  it('system-pods: containers that restarted are reported in the detail; Ready again, the check still passes', async () => {
    const r = await run('passing', ['system-pods'], {
      api: (api) => {
        const list = api.listPods.bind(api);
        api.listPods = async (ns: string) =>
          (await list(ns)).map((p) => {
            if (!/^kube-(controller-manager|scheduler)-master$/.test(p.metadata.name)) return p;
            const cs = p.status!.containerStatuses!.map((c) => ({ ...c, restartCount: 4, lastState: { terminated: { exitCode: 1, reason: 'Error' } } }));
            return { ...p, status: { ...p.status, containerStatuses: cs } };
          });
      },
    });
    assert.equal(r.by('system-pods').status, 'passed');
    assert.equal(
      r.by('system-pods').detail,
      '20 pods Ready in kube-system, kube-flannel, nfs-provisioner, monitoring; 2 containers restarted: ' +
        'kube-system/kube-controller-manager-master kube-controller-manager ×4 (last: Error exit 1), kube-system/kube-scheduler-master kube-scheduler ×4 (last: Error exit 1)',
    );
  });

  it('creates the namespace once, pins one pod per node, probes the servers by pod IP and the NodePort on every inventory address', async () => {
    const r = await run('passing');
    const nsCalls = r.api.calls.filter((c) => /Namespace /.test(c));
    assert.deepEqual(nsCalls, [
      `createNamespace ${SMOKE_NAMESPACE} {"app.kubernetes.io/managed-by":"kubelab"}`,
      `deleteNamespace ${SMOKE_NAMESPACE}`,
    ]);
    const pods = [...r.api.createdPods.values()];
    assert.deepEqual(
      pods.map((p) => `${p.metadata.name}@${p.spec?.nodeName ?? '-'}`),
      [
        'dns-master@master',
        'dns-worker1@worker1',
        'net-server-master@master',
        'net-server-worker1@worker1',
        'net-client-master@master',
        'net-client-worker1@worker1',
        'web@-',
        'svc-client-master@master',
        'svc-client-worker1@worker1',
        'storage-writer@-',
      ],
    );
    assert.ok(pods.every((p) => p.spec!.containers.length === 1 && p.spec!.containers[0]!.image === SMOKE_IMAGE));
    assert.ok(pods.every((p) => p.spec!.restartPolicy === 'Never' && p.spec!.automountServiceAccountToken === false));
    const client = r.api.createdPods.get('net-client-master')!.spec!.containers[0]!.command!;
    assert.deepEqual(client.slice(0, 1), ['sh']);
    assert.deepEqual(client.slice(3), ['sh', '20', 'master=http://10.244.0.12:8080/hostname', 'worker1=http://10.244.1.12:8080/hostname']);
    const svcClient = r.api.createdPods.get('svc-client-worker1')!.spec!.containers[0]!.command!;
    assert.deepEqual(svcClient.slice(4), [
      '20',
      'clusterip=http://10.96.143.20:80/hostname',
      'nodeport@master=http://192.168.56.10:31234/hostname',
      'nodeport@worker1=http://192.168.56.11:31234/hostname',
    ]);
    assert.deepEqual(
      r.api.createdServices.map((s) => `${s.metadata.name} ${s.spec.type} ${s.spec.ports[0]!.port}->${s.spec.ports[0]!.targetPort}`),
      ['web ClusterIP 80->8080', 'web-nodeport NodePort 80->8080'],
    );
    const writer = r.api.createdPods.get('storage-writer')!;
    assert.deepEqual(writer.spec!.volumes, [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }]);
    assert.deepEqual(writer.spec!.containers[0]!.command!.slice(3), ['sh', 'kubelab-smoke test-run', 'kubelab-smoke.txt']);
    assert.equal(r.api.createdPvcs[0]!.spec.storageClassName, undefined, 'the claim uses the default class');
    assert.deepEqual(r.ssh.commands, ['master: cat -- /srv/nfs/k8s/kubelab-smoke-data-pvc-5f0c2a9e-8d41-4b6a-9c3e-7a1b2d4e6f80/kubelab-smoke.txt']);
    assert.ok(r.api.calls.includes('proxyGet monitoring/prometheus-k8s:web/api/v1/targets?state=active'));
    assert.ok(r.api.calls.includes('proxyGet monitoring/grafana:http/api/health'));
  });
});

describe('diagnoses from failing recorded clusters', () => {
  it('nodes: InternalIP 10.0.2.15 -> the node-ip fix is missing', async () => {
    const r = await run('node-ip-nat', ['nodes']);
    failedWith(r.by('nodes'), /worker1 registered with InternalIP 10\.0\.2\.15, the NAT address every VM shares: the node-ip fix is missing/, /--node-ip=192\.168\.56\.11/);
    assert.equal(r.by('nodes').detail, 'worker1 InternalIP 10.0.2.15 != 192.168.56.11; fine: master');
  });

  it('nodes: NotReady with NetworkPluginNotReady -> the pod network is not running; pod checks leave the node untested', async () => {
    const r = await run('network-not-ready', ['nodes', 'dns']);
    failedWith(r.by('nodes'), /worker1 is NotReady because the pod network is not running there/, /flannel/);
    failedWith(r.by('dns'), /untested nodes are not registered or not Ready/);
    assert.match(r.by('dns').detail, /resolved on master -> 10\.96\.0\.1; not tested: worker1 \(NotReady\)/);
    assert.equal(r.api.createdPods.has('dns-worker1'), false, 'no pod is pinned to a NotReady node');
  });

  it("nodes: NotReady with no pod network although flannel's pod there runs -> containerd did not load the CNI config", async () => {
    const r = await run('cni-not-loaded', ['nodes']);
    failedWith(r.by('nodes'), /worker1 is NotReady with no pod network \(container runtime network not ready: .*cni plugin not initialized\) although its flannel pod kube-flannel-ds-w2h9k runs/, /containerd has not loaded it.*systemctl restart containerd/);
  });

  it('nodes: a node without a Node object has not joined', async () => {
    const r = await run('node-missing', ['nodes']);
    failedWith(r.by('nodes'), /worker1 has not joined the cluster/);
  });

  it('pod-network, dns, services: flannel on the NAT NIC, read from its log line', async () => {
    const r = await run('flannel-nat-nic', ['dns', 'pod-network', 'services']);
    const nat = /flannel on worker1 runs on the NAT NIC eth0 \(10\.0\.2\.15; its log says "Using interface with name eth0 and address 10\.0\.2\.15"\): --iface missing/;
    failedWith(r.by('pod-network'), nat);
    assert.match(r.by('pod-network').detail, /^failed: master -> worker1 \(curl: \(28\) Connection timed out after 3002 milliseconds 000\), worker1 -> master/);
    assert.doesNotMatch(r.by('pod-network').diagnosis!, /master runs on/);
    failedWith(r.by('dns'), /lookups fail only on nodes without a CoreDNS pod \(worker1; CoreDNS runs on master\): cross-node pod traffic is broken/, nat);
    failedWith(
      r.by('services'),
      /the ClusterIP fails only from nodes other than the server's \(worker1\)/,
      nat,
      /NodePort 31234 on 192\.168\.56\.10 \(master\) forwards to the server pod on worker1 across nodes/,
    );
    assert.ok(r.api.calls.includes('podLogs kube-flannel/kube-flannel-ds-w2h9k -c kube-flannel'));
  });

  it('pod-network: without readable flannel logs, the public-ip annotation names the address', async () => {
    const r = await run('flannel-nat-nic', ['pod-network'], {
      api: (api) => {
        api.podLogs = async () => {
          throw new Error('Get "https://10.0.2.15:10250/containerLogs/...": dial tcp 10.0.2.15:10250: connect: connection refused');
        };
      },
    });
    failedWith(r.by('pod-network'), /flannel on worker1 runs on the NAT NIC \(10\.0\.2\.15; its flannel\.alpha\.coreos\.com\/public-ip annotation is 10\.0\.2\.15\)/);
  });

  it('system-pods: ImagePullBackOff -> the image, its registry and imageRepository', async () => {
    const r = await run('image-pull', ['system-pods']);
    failedWith(
      r.by('system-pods'),
      /^kube-system\/coredns-7c65d6cfc9-4xk2p, kube-system\/coredns-7c65d6cfc9-tq8wz: image registry\.lab\.example:5000\/k8s\/coredns:v1\.12\.1 cannot be pulled \(ImagePullBackOff: Back-off pulling image/,
      /dial tcp 192\.168\.56\.1:5000: connect: connection refused\)/,
      /spec\.kubernetes\.imageRepository registry\.lab\.example:5000\/k8s/,
    );
    assert.match(r.by('system-pods').detail, /^2 not Ready of 20 in .*: kube-system\/coredns-7c65d6cfc9-4xk2p on master: ImagePullBackOff; /);
    assert.equal((r.by('system-pods').diagnosis!.match(/cannot be pulled/g) ?? []).length, 1, 'one cause for two pods');
  });

  it('system-pods: CrashLoopBackOff -> the container and its last termination', async () => {
    const r = await run('crashloop', ['system-pods']);
    failedWith(
      r.by('system-pods'),
      /^kube-flannel\/kube-flannel-ds-w2h9k: container kube-flannel is crash-looping \(6 restarts; last exit Error code 1: E1123 .*Error registering network: failed to acquire lease: node "worker1" pod cidr not assigned\)/,
    );
    assert.match(r.by('system-pods').detail, /; 1 container restarted: kube-flannel\/kube-flannel-ds-w2h9k kube-flannel ×6 \(last: Error exit 1\)$/);
  });

  it('system-pods and dns: CoreDNS FailedCreatePodSandBox -> flannel not ready, subnet.env missing; lookups fail everywhere', async () => {
    const r = await run('sandbox-subnet-env', ['system-pods', 'dns']);
    failedWith(r.by('system-pods'), /flannel is not ready there \(\/run\/flannel\/subnet\.env missing\)/);
    assert.match(r.by('system-pods').detail, /coredns-7c65d6cfc9-4xk2p on master: ContainerCreating/);
    failedWith(r.by('dns'), /CoreDNS is not ready \(kube-system\/coredns-7c65d6cfc9-4xk2p on master: ContainerCreating/);
  });

  it('system-pods: Pending unschedulable -> resources or taints', async () => {
    const r = await run('unschedulable', ['system-pods']);
    failedWith(r.by('system-pods'), /^monitoring\/prometheus-k8s-0: cannot be scheduled: 0\/2 nodes are available: 1 Insufficient memory, 1 node\(s\) had untolerated taint .*\(not enough CPU\/memory on the nodes, or taints/);
  });

  it('storage: no default StorageClass', async () => {
    const r = await run('no-default-storageclass', ['storage']);
    failedWith(r.by('storage'), /^no default StorageClass: nfs-client is not annotated storageclass\.kubernetes\.io\/is-default-class="true"; PVCs without storageClassName stay Pending/);
    assert.equal(r.api.createdPvcs.length, 0);
  });

  it('storage: mount failure -> the mount.nfs helper (nfs-common) is missing on the node, found without waiting out the timeout', async () => {
    const r = await run('nfs-helper-missing', ['storage']);
    failedWith(r.by('storage'), /NFS mounts fail on worker1: "need a \/sbin\/mount\.<type> helper program": the nfs-common package \(mount\.nfs\) is missing on worker1/);
    assert.match(r.by('storage').detail, /^PVC bound to pvc-5f0c2a9e-\S+; the writer pod: kubelab-smoke\/storage-writer on worker1: ContainerCreating$/);
    assert.equal(r.slept, 0);
    assert.deepEqual(r.ssh.commands, []);
  });

  it('storage: the file missing under the export on the NFS server is a failure', async () => {
    const s = loadScenario('passing');
    s.ssh = {};
    const r = await run(s, ['storage']);
    failedWith(r.by('storage'), /^the file is not on the NFS server under \/srv\/nfs\/k8s: the PV 192\.168\.56\.10:\/srv\/nfs\/k8s\/kubelab-smoke-data-pvc-\S+ is not the export of master/);
    assert.match(r.by('storage').detail, /on master: cat \/srv\/nfs\/k8s\/\S+\/kubelab-smoke\.txt exited 1: .*No such file or directory$/);
  });

  it('storage: PVC Pending -> the provisioner events and the provisioner pod; system-pods names the export refusing it', async () => {
    const r = await run('pvc-pending', ['system-pods', 'storage']);
    failedWith(
      r.by('storage'),
      /the PVC stays Pending: nothing provisions volumes for k8s-sigs\.io\/nfs-subdir-external-provisioner \(Waiting for a volume to be created either by the external provisioner/,
      /provisioner pod nfs-provisioner\/nfs-subdir-external-provisioner-5d9f6b7c8-k2m4x on worker1: ContainerCreating/,
    );
    failedWith(r.by('system-pods'), /the NFS server refused the mount on worker1 \("access denied by server"\)/);
    assert.equal(r.slept, 60_000, 'an unbound claim ends the wait after a minute, before the pod timeout');
  });

  it('metrics: APIService not Available, metrics-server logs x509 -> insecure TLS or bootstrap', async () => {
    const r = await run('metrics-unavailable', ['metrics']);
    failedWith(
      r.by('metrics'),
      /metrics-server rejects the kubelet serving certificate of (master|worker1) \(x509: cannot validate certificate for 192\.168\.56\.1[01] because it doesn't contain any IP SANs\)/,
      /--kubelet-insecure-tls/,
      /tls: bootstrap \(serverTLSBootstrap/,
    );
    assert.match(r.by('metrics').detail, /^APIService v1beta1\.metrics\.k8s\.io not Available \(MissingEndpoints: endpoints for service\/metrics-server/);
  });

  it('metrics: APIService not Available without a log cause -> the condition and the pod', async () => {
    const s = loadScenario('metrics-unavailable');
    const r = await run(s, ['metrics'], {
      api: (api) => {
        api.podLogs = async () => '';
      },
    });
    failedWith(r.by('metrics'), /metrics-server is not Ready \(kube-system\/metrics-server-6f7dd4c4c4-jx7m2 on worker1: Running, not Ready\)/);
  });

  it('metrics: a node without usage is named', async () => {
    const r = await run('passing', ['metrics'], {
      api: (api) => {
        const orig = api.nodeMetrics.bind(api);
        api.nodeMetrics = async () => (await orig()).filter((m) => m.metadata.name !== 'worker1');
      },
    });
    failedWith(r.by('metrics'), /metrics-server has no usage for worker1 after 10 s/);
    assert.equal(r.slept, TEST_SETTINGS.metricsWaitMs, 'it waited for metrics-server to catch up first');
  });

  it('monitoring: kube-scheduler and controller-manager down (connection refused) -> bind-address 127.0.0.1', async () => {
    const r = await run('scheduler-down', ['monitoring']);
    failedWith(
      r.by('monitoring'),
      /kube-scheduler is down \(Get "https:\/\/192\.168\.56\.10:10259\/metrics": dial tcp 192\.168\.56\.10:10259: connect: connection refused\): it listens on 127\.0\.0\.1 only; kubeadm needs extraArgs bind-address: 0\.0\.0\.0 for kube-scheduler/,
      /kube-controller-manager is down .* bind-address: 0\.0\.0\.0 for kube-controller-manager \(ClusterConfiguration controllerManager\.extraArgs\)/,
    );
    assert.equal(r.by('monitoring').detail, '11/13 targets up; kube-controller-manager down: 192.168.56.10:10257; kube-scheduler down: 192.168.56.10:10259; Grafana 13.0.2 healthy (database ok)');
  });

  it('monitoring: no kube-scheduler target at all -> the headless Service for kubeadm is missing', async () => {
    const s = loadScenario('passing');
    const key = 'monitoring/prometheus-k8s:web/api/v1/targets?state=active';
    const body = structuredClone(s.proxy[key]!.body) as { data: { activeTargets: { labels: { job: string } }[] } };
    body.data.activeTargets = body.data.activeTargets.filter((t) => t.labels.job !== 'kube-scheduler');
    s.proxy = { ...s.proxy, [key]: { status: 200, body } };
    const r = await run(s, ['monitoring']);
    failedWith(r.by('monitoring'), /Prometheus has no kube-scheduler target: the headless Service kube-scheduler in kube-system/);
  });

  it('monitoring: Prometheus without endpoints -> its pod', async () => {
    const s = loadScenario('unschedulable');
    s.proxy = {
      ...s.proxy,
      'monitoring/prometheus-k8s:web/api/v1/targets?state=active': {
        status: 503,
        body: { kind: 'Status', status: 'Failure', message: 'no endpoints available for service "prometheus-k8s:web"', reason: 'ServiceUnavailable', code: 503 },
      },
    };
    const r = await run(s, ['monitoring']);
    failedWith(r.by('monitoring'), /^Prometheus has no ready pod \(monitoring\/prometheus-k8s-0: Pending \(unschedulable\): cannot be scheduled: 0\/2 nodes are available/);
  });
});

describe('addons switched off in the inventory', () => {
  it('their checks are skipped, not failed, and ask nothing of the API', async () => {
    const r = await run('passing', undefined, {
      inv: (s) => withAddons(scenarioInventory(s), { nfsProvisioner: { enabled: false }, metricsServer: { enabled: false }, monitoring: { enabled: false } }),
    });
    assert.deepEqual(
      r.results.filter((x) => x.status === 'skipped').map((x) => [x.name, x.ok, x.detail]),
      [
        ['storage', true, 'addon nfsProvisioner is not enabled in the inventory (spec.addons.nfsProvisioner.enabled)'],
        ['metrics', true, 'addon metricsServer is not enabled in the inventory (spec.addons.metricsServer.enabled)'],
        ['monitoring', true, 'addon monitoring is not enabled in the inventory (spec.addons.monitoring.enabled)'],
      ],
    );
    assert.equal(r.results.filter((x) => x.status === 'passed').length, 5);
    assert.ok(!r.api.calls.some((c) => /^(listStorageClasses|getApiService|nodeMetrics|proxyGet)/.test(c)));
  });

  it('without spec.nfs the NFS provisioner counts as off', async () => {
    const r = await run('passing', ['storage'], { inv: () => testInventory() });
    assert.equal(r.by('storage').status, 'skipped');
    assert.equal(r.api.calls.some((c) => c.includes('Namespace')), false, 'no namespace when no selected check needs it');
  });
});
