/**
 * A simulated lab for the doctor: each node's answers to the doctor's facts, by fact key, in the exact formats of
 * the real commands (`cat /proc/swaps`, `systemctl show`, `ip -o -4 addr show`, `df -P`, `exportfs -v`, `crictl ps
 * -o json`...), healthy by default; a test breaks one answer and expects one finding. A fact the lab has no answer
 * for fails the test (a source reading something new shows up here).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { factAnswer, type FactAnswer } from '../../scripts/engine/facts.js';
import type { Fact } from '../../scripts/engine/types.js';
import type { Inventory, InventoryNode } from '../../scripts/inventory/types.js';
import type { DoctorContext } from '../../scripts/doctor/types.js';
import { answerValue, fixes } from '../../scripts/doctor/run.js';
import { renderContainerdConfig } from '../../scripts/render/containerd.js';
import { containerdSettings } from '../../scripts/steps/containerd-config.js';
import { hostEntries, renderHosts } from '../../scripts/steps/etc-hosts.js';
import { exportLine, renderExports } from '../../scripts/steps/nfs.js';
import type { ExecResult } from '../../scripts/transport/types.js';
import { ROOT } from './seed.js';

export type Answer = Partial<Pick<ExecResult, 'stdout' | 'stderr' | 'code'>>;

/** The lab's clock (ms): 2026-11-30T12:00:00Z. */
export const LAB_NOW_MS = Date.parse('2026-11-30T12:00:00Z');

export const CONTAINERD_DEFAULT = readFileSync(join(ROOT, 'test/fixtures/containerd/config-default-1.6.20-debian12.toml'), 'utf8');

export const ACTIVE = 'LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n';
export const KUBELET_SWAP_JOURNAL = [
  'Nov 30 11:58:01 worker1 systemd[1]: Started kubelet.service - kubelet: The Kubernetes Node Agent.',
  'Nov 30 11:58:01 worker1 kubelet[812]: I1130 11:58:01.912345     812 server.go:484] "Kubelet version" kubeletVersion="v1.35.4"',
  'Nov 30 11:58:02 worker1 kubelet[812]: E1130 11:58:02.101122     812 run.go:72] "command failed" err="failed to run Kubelet: running with swap on is not supported, please disable swap or set --fail-swap-on flag to false"',
  'Nov 30 11:58:02 worker1 systemd[1]: kubelet.service: Main process exited, code=exited, status=1/FAILURE',
  'Nov 30 11:58:02 worker1 systemd[1]: kubelet.service: Failed with result \'exit-code\'.',
].join('\n');

const ipLines = (address: string): string =>
  [
    '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
    '2: eth0    inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic eth0\\       valid_lft 86245sec preferred_lft 86245sec',
    `3: eth1    inet ${address}/24 brd 192.168.56.255 scope global eth1\\       valid_lft forever preferred_lft forever`,
    '4: flannel.1    inet 10.244.0.0/32 scope global flannel.1\\       valid_lft forever preferred_lft forever',
  ].join('\n') + '\n';

const df = (pct: number): string => `Filesystem     1024-blocks    Used Available Capacity Mounted on\n/dev/vda1         20508240 ${Math.round(205082 * pct)}  ${Math.round(205082 * (100 - pct))}      ${pct}% /\n`;
const dfi = (pct: number): string => `Filesystem      Inodes  IUsed   IFree IUse% Mounted on\n/dev/vda1      1310720 ${13107 * pct} ${13107 * (100 - pct)}   ${pct}% /\n`;

export const crictlPs = (state: string, attempt = 0): string =>
  JSON.stringify(
    {
      containers: [
        {
          id: '5b1f0c9e7a3d2e8f4c6b1a0d9e8f7c6b5a4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f',
          podSandboxId: '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d',
          metadata: { name: 'kube-apiserver', attempt },
          image: { image: 'sha256:2c1b0a9f8e7d', annotations: {}, userSpecifiedImage: '' },
          imageRef: 'sha256:2c1b0a9f8e7d',
          state,
          createdAt: '1764503900123456789',
          labels: { 'io.kubernetes.container.name': 'kube-apiserver', 'io.kubernetes.pod.namespace': 'kube-system' },
          annotations: {},
        },
      ],
    },
    null,
    2,
  );

/** Healthy answers of `node`, by fact key. */
export function healthyAnswers(inv: Inventory, node: InventoryNode, nowMs = LAB_NOW_MS): Map<string, Answer> {
  const rendered = renderContainerdConfig(CONTAINERD_DEFAULT, containerdSettings(inv));
  const sum = createHash('sha256').update(rendered).digest('hex');
  const m = new Map<string, Answer>([
    ['clock', { stdout: `${(nowMs / 1000).toFixed(9)}\n` }],
    ['proc-swaps', { stdout: 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n' }],
    ['file:/etc/fstab', { stdout: 'UUID=3f1c0e2a-9b7d-4c5e-8a6f-1d2e3f4a5b6c /     ext4 errors=remount-ro 0 1\n#kubelab-swap-off# /swap.img\tnone\tswap\tsw\t0\t0\n' }],
    ['unit:kubelet', { stdout: ACTIVE }],
    ['unit:containerd', { stdout: ACTIVE }],
    // as systemctl show prints it (fixtures/doctor/unit-restarts-kubelet-loop.txt): no restarts, up for an hour
    [
      'unit-restarts:containerd,kubelet,nfs-server',
      { stdout: 'NRestarts=0\nId=containerd.service\nActiveEnterTimestampMonotonic=9821289\n\nNRestarts=0\nId=kubelet.service\nActiveEnterTimestampMonotonic=12378040\n\nNRestarts=0\nId=nfs-server.service\nActiveEnterTimestampMonotonic=11031577\n3611.22 7017.26\n' },
    ],
    ['journal:kubelet:20', { stdout: 'Nov 30 11:58:01 node systemd[1]: Started kubelet.service - kubelet: The Kubernetes Node Agent.\n' }],
    ['journal:containerd:20', { stdout: 'Nov 30 11:57:58 node containerd[640]: time="2026-11-30T11:57:58Z" level=info msg="containerd successfully booted in 0.052s"\n' }],
    ['command:containerd', { stdout: '' }],
    ['containerd-config-default', { stdout: CONTAINERD_DEFAULT }],
    ['sha256:/etc/containerd/config.toml', { stdout: `${sum}  /etc/containerd/config.toml\n` }],
    ['ipv4-interfaces', { stdout: ipLines(node.address) }],
    ['file:/etc/hosts', { stdout: renderHosts('127.0.0.1 localhost\n', hostEntries(inv)) }],
    ['df:/var', { stdout: df(41) }],
    ['df-i:/var', { stdout: dfi(12) }],
  ]);
  m.set('certificates:', { stdout: '' });
  if (node.role === 'control-plane') {
    m.set('file:/etc/kubernetes/manifests/etcd.yaml', {
      stdout: `apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    kubeadm.kubernetes.io/etcd.advertise-client-urls: https://${node.address}:2379\n  name: etcd\nspec:\n  containers:\n  - command:\n    - etcd\n    - --advertise-client-urls=https://${node.address}:2379\n    - --initial-advertise-peer-urls=https://${node.address}:2380\n    - --listen-client-urls=https://127.0.0.1:2379,https://${node.address}:2379\n`,
    });
    m.set('file:/etc/kubernetes/manifests/kube-apiserver.yaml', {
      stdout: `apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint: ${node.address}:6443\n  name: kube-apiserver\nspec:\n  containers:\n  - command:\n    - kube-apiserver\n    - --advertise-address=${node.address}\n    - --secure-port=6443\n`,
    });
    m.set('crictl-ps:kube-apiserver', { stdout: crictlPs('CONTAINER_RUNNING') });
  }
  if (inv.spec.nfs?.server === node.name) {
    m.set('unit:nfs-server', { stdout: ACTIVE });
    m.set('journal:nfs-server:20', { stdout: 'Nov 30 11:58:00 master systemd[1]: Finished nfs-server.service - NFS server and services.\n' });
    m.set('exportfs', { stdout: `${inv.spec.nfs.path.padEnd(14)}\t${inv.spec.network.nodeCidr}(sync,wdelay,hide,no_subtree_check,sec=sys,rw,secure,no_root_squash,no_all_squash)\n` });
    m.set('file:/etc/exports', { stdout: renderExports('', inv.spec.nfs.path, exportLine(inv)) });
  }
  return m;
}

/** The lab: answers per node (healthy ones, then each test's changes), and the doctor's readNode over them. */
export class SimLab {
  readonly answers = new Map<string, Map<string, Answer>>();
  /** Each readNode call: node name and the argv of the facts asked. */
  readonly reads: { node: string; facts: Fact<unknown>[] }[] = [];
  readonly unreachable = new Set<string>();

  constructor(readonly inv: Inventory, nowMs = LAB_NOW_MS) {
    for (const n of inv.spec.nodes) this.answers.set(n.name, healthyAnswers(inv, n, nowMs));
  }

  set(node: string, key: string, a: Answer): this {
    this.answers.get(node)!.set(key, a);
    return this;
  }

  readonly readNode = async (node: InventoryNode, facts: readonly Fact<unknown>[]): Promise<Map<string, FactAnswer<unknown>>> => {
    this.reads.push({ node: node.name, facts: [...facts] });
    if (this.unreachable.has(node.name)) throw new Error(`cannot reach ${node.name}:22: connect ECONNREFUSED 127.0.0.1:22`);
    const own = this.answers.get(node.name)!;
    const out = new Map<string, FactAnswer<unknown>>();
    for (const f of facts) {
      const a = own.get(f.key);
      if (!a) throw new Error(`SimLab: no answer for fact ${f.key} on ${node.name}`);
      out.set(f.key, factAnswer(f, { stdout: a.stdout ?? '', stderr: a.stderr ?? '', code: a.code ?? 0, durationMs: 1 }));
    }
    return out;
  };
}

/** A DoctorContext over given answers (no API), for one source at a time. */
export function doctorContext(inv: Inventory, answers: Record<string, Map<string, FactAnswer<unknown>>>, nowMs = Date.now()): DoctorContext {
  const reads = new Map(
    inv.spec.nodes.filter((n) => answers[n.name]).map((n) => [n.name, { node: n, answers: answers[n.name]!, sentAtMs: nowMs, answeredAtMs: nowMs }]),
  );
  return {
    inv,
    nodes: inv.spec.nodes,
    reads,
    value: <T>(node: InventoryNode, fact: Fact<T>): T | undefined => answerValue(reads.get(node.name)?.answers, fact),
    apiError: 'not connected (test)',
    fix: fixes(inv, 'lab.yaml'),
    nowMs,
  };
}
