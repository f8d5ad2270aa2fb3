import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { apiServerEndpoint, controlPlaneEndpoint, CRI_SOCKET } from '../../../scripts/inventory/topology.js';
import { caCertHash, kubeadmApiVersion, kubeadmYaml, kubernetesVersionTag, renderInitConfig, renderJoinConfig, versionMatches, type KubeadmDocument } from '../../../scripts/render/kubeadm.js';
import { testInventory } from '../../support/inventory.js';

type Obj = Record<string, any>;

function byKind(docs: KubeadmDocument[]): Record<string, Obj> {
  return Object.fromEntries(docs.map((d) => [d.kind, d]));
}

const HASH = 'sha256:' + 'ab'.repeat(32);
const TOKEN = 'abcdef.0123456789abcdef';

describe('kubeadm versions', () => {
  it('uses v1beta3 up to 1.30 and v1beta4 from 1.31', () => {
    assert.equal(kubeadmApiVersion('v1.30.14'), 'kubeadm.k8s.io/v1beta3');
    assert.equal(kubeadmApiVersion('v1.31.0'), 'kubeadm.k8s.io/v1beta4');
    assert.equal(kubeadmApiVersion('1.35.2'), 'kubeadm.k8s.io/v1beta4');
  });

  it('turns kubeadm version -o short output or an exact inventory version into a tag, and refuses a bare minor', () => {
    assert.equal(kubernetesVersionTag('1.35.2'), 'v1.35.2');
    assert.equal(kubernetesVersionTag('v1.35.2\n'), 'v1.35.2');
    assert.throws(() => kubernetesVersionTag('1.35'), /not an exact Kubernetes version/);
  });

  it('matches an installed kubeadm against "1.N" (any patch) and "1.N.P" (exactly)', () => {
    assert.equal(versionMatches('1.35', 'v1.35.2'), true);
    assert.equal(versionMatches('1.35', 'v1.350.0'), false);
    assert.equal(versionMatches('1.3', 'v1.35.2'), false);
    assert.equal(versionMatches('1.35', 'v1.34.9'), false);
    assert.equal(versionMatches('1.35.2', 'v1.35.2'), true);
    assert.equal(versionMatches('1.35.2', 'v1.35.1'), false);
  });
});

describe('renderInitConfig for Kubernetes 1.35 (v1beta4)', () => {
  const inv = testInventory();
  const master = inv.spec.nodes[0]!;
  const docs = renderInitConfig(inv, master, { kubernetesVersion: 'v1.35.2' });
  const { InitConfiguration: init, ClusterConfiguration: cluster, KubeletConfiguration: kubelet } = byKind(docs);

  it('renders three documents with their API versions', () => {
    assert.deepEqual(
      docs.map((d) => [d.apiVersion, d.kind]),
      [
        ['kubeadm.k8s.io/v1beta4', 'InitConfiguration'],
        ['kubeadm.k8s.io/v1beta4', 'ClusterConfiguration'],
        ['kubelet.config.k8s.io/v1beta1', 'KubeletConfiguration'],
      ],
    );
  });

  it('advertises the host-only address and passes node-ip as a {name, value} list', () => {
    assert.deepEqual(init!.localAPIEndpoint, { advertiseAddress: '192.168.56.10', bindPort: 6443 });
    assert.deepEqual(init!.nodeRegistration, {
      name: 'master',
      criSocket: 'unix:///var/run/containerd/containerd.sock',
      kubeletExtraArgs: [{ name: 'node-ip', value: '192.168.56.10' }],
    });
  });

  it('a lab without workers leaves the control plane untainted (taints: []), so workloads run there', () => {
    const single = testInventory({ nodes: [{ name: 'solo', role: 'control-plane', address: '192.168.56.10' }] });
    const docs = byKind(renderInitConfig(single, single.spec.nodes[0]!, { kubernetesVersion: 'v1.35.2' }));
    assert.deepEqual(docs['InitConfiguration']!.nodeRegistration.taints, []);
    assert.match(kubeadmYaml(renderInitConfig(single, single.spec.nodes[0]!, { kubernetesVersion: 'v1.35.2' })), /^ {2}taints: \[\]$/m);
  });

  it('sets version, endpoint, networking and registry; no dns override on registry.k8s.io', () => {
    assert.equal(cluster!.kubernetesVersion, 'v1.35.2');
    assert.equal(cluster!.controlPlaneEndpoint, 'master:6443');
    assert.deepEqual(cluster!.networking, { podSubnet: '10.244.0.0/16', serviceSubnet: '10.96.0.0/12' });
    assert.equal(cluster!.imageRepository, 'registry.k8s.io');
    assert.equal(cluster!.dns, undefined);
  });

  it('binds controller-manager and scheduler on 0.0.0.0 (list form)', () => {
    assert.deepEqual(cluster!.controllerManager, { extraArgs: [{ name: 'bind-address', value: '0.0.0.0' }] });
    assert.deepEqual(cluster!.scheduler, { extraArgs: [{ name: 'bind-address', value: '0.0.0.0' }] });
  });

  it('sets the systemd cgroup driver, and serverTLSBootstrap only when asked', () => {
    assert.deepEqual(kubelet, { apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', cgroupDriver: 'systemd' });
    const withTls = byKind(renderInitConfig(inv, master, { kubernetesVersion: 'v1.35.2', serverTLSBootstrap: true }));
    assert.equal(withTls.KubeletConfiguration!.serverTLSBootstrap, true);
  });
});

describe('renderInitConfig for Kubernetes 1.30 (v1beta3) from a mirror, with a controlPlaneEndpoint', () => {
  const inv = testInventory({
    kubernetes: {
      version: '1.30',
      imageRepository: 'registry.aliyuncs.com/google_containers',
      controlPlaneEndpoint: 'k8s-api.lab:8443',
      podSubnet: '10.32.0.0/16',
      serviceSubnet: '10.112.0.0/16',
    },
  });
  const docs = renderInitConfig(inv, inv.spec.nodes[0]!, { kubernetesVersion: '1.30.14' });
  const { InitConfiguration: init, ClusterConfiguration: cluster } = byKind(docs);

  it('uses v1beta3 for both kubeadm documents', () => {
    assert.deepEqual(docs.map((d) => d.apiVersion), ['kubeadm.k8s.io/v1beta3', 'kubeadm.k8s.io/v1beta3', 'kubelet.config.k8s.io/v1beta1']);
  });

  it('passes node-ip and bind-address as maps', () => {
    assert.deepEqual(init!.nodeRegistration.kubeletExtraArgs, { 'node-ip': '192.168.56.10' });
    assert.equal(init!.nodeRegistration.criSocket, CRI_SOCKET);
    assert.deepEqual(cluster!.controllerManager, { extraArgs: { 'bind-address': '0.0.0.0' } });
    assert.deepEqual(cluster!.scheduler, { extraArgs: { 'bind-address': '0.0.0.0' } });
  });

  it('takes the endpoint, subnets and version from the inventory and the installed kubeadm', () => {
    assert.equal(cluster!.kubernetesVersion, 'v1.30.14');
    assert.equal(cluster!.controlPlaneEndpoint, 'k8s-api.lab:8443');
    assert.deepEqual(cluster!.networking, { podSubnet: '10.32.0.0/16', serviceSubnet: '10.112.0.0/16' });
  });

  it('pulls CoreDNS from the mirror too (dns.imageRepository)', () => {
    assert.equal(cluster!.imageRepository, 'registry.aliyuncs.com/google_containers');
    assert.deepEqual(cluster!.dns, { imageRepository: 'registry.aliyuncs.com/google_containers' });
  });
});

describe('renderJoinConfig', () => {
  it('1.35: bootstrap-token discovery with the endpoint, token and CA hash; node-ip as a list; default timeouts', () => {
    const inv = testInventory();
    const doc = renderJoinConfig(inv, inv.spec.nodes[1]!, { kubernetesVersion: 'v1.35.2', token: TOKEN, caCertHash: HASH });
    assert.deepEqual(doc, {
      apiVersion: 'kubeadm.k8s.io/v1beta4',
      kind: 'JoinConfiguration',
      discovery: { bootstrapToken: { apiServerEndpoint: 'master:6443', token: TOKEN, caCertHashes: [HASH] } },
      nodeRegistration: { name: 'worker1', criSocket: CRI_SOCKET, kubeletExtraArgs: [{ name: 'node-ip', value: '192.168.56.11' }] },
    });
  });

  it('1.30: v1beta3 with node-ip as a map; an endpoint without port gets :6443 for discovery', () => {
    const inv = testInventory({ kubernetes: { version: '1.30', controlPlaneEndpoint: 'k8s-api.lab' } });
    assert.equal(controlPlaneEndpoint(inv), 'k8s-api.lab');
    assert.equal(apiServerEndpoint(inv), 'k8s-api.lab:6443');
    const doc = renderJoinConfig(inv, inv.spec.nodes[1]!, { kubernetesVersion: 'v1.30.14', token: TOKEN, caCertHash: HASH }) as Obj;
    assert.equal(doc.apiVersion, 'kubeadm.k8s.io/v1beta3');
    assert.deepEqual(doc.discovery.bootstrapToken, { apiServerEndpoint: 'k8s-api.lab:6443', token: TOKEN, caCertHashes: [HASH] });
    assert.deepEqual(doc.nodeRegistration.kubeletExtraArgs, { 'node-ip': '192.168.56.11' });
  });
});

describe('kubeadmYaml', () => {
  for (const version of ['v1.30.14', 'v1.35.2']) {
    it(`parses back to the same documents (${version})`, () => {
      const inv = testInventory({ kubernetes: { version: version.slice(1, 5), imageRepository: 'registry.aliyuncs.com/google_containers' } });
      const docs: KubeadmDocument[] = [
        ...renderInitConfig(inv, inv.spec.nodes[0]!, { kubernetesVersion: version, serverTLSBootstrap: true }),
        renderJoinConfig(inv, inv.spec.nodes[1]!, { kubernetesVersion: version, token: TOKEN, caCertHash: HASH }),
      ];
      const parsed = parseAllDocuments(kubeadmYaml(docs));
      assert.ok(Array.isArray(parsed));
      for (const d of parsed) assert.deepEqual(d.errors, []);
      assert.deepEqual(parsed.map((d) => d.toJS()), docs);
    });
  }
});

describe('caCertHash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubelab-ca-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The kubeadm docs' recipe: openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum. */
  function opensslHash(certFile: string): string {
    const hex = execFileSync('sh', ['-c', 'openssl x509 -pubkey -noout -in "$1" | openssl pkey -pubin -outform der | sha256sum', 'sh', certFile], {
      encoding: 'utf8',
    }).split(/\s/)[0]!;
    return `sha256:${hex}`;
  }

  for (const [kind, keyArgs] of [
    ['RSA', ['-newkey', 'rsa:2048']],
    ['ECDSA P-256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']],
  ] as const) {
    it(`equals openssl's SPKI hash for a fresh ${kind} CA`, () => {
      const cert = join(dir, `${kind.replace(/\W/g, '')}.crt`);
      execFileSync('openssl', ['req', '-x509', ...keyArgs, '-nodes', '-keyout', join(dir, 'key.pem'), '-out', cert, '-days', '1', '-subj', '/CN=kubernetes'], {
        stdio: 'ignore',
      });
      const hash = caCertHash(readFileSync(cert, 'utf8'));
      assert.match(hash, /^sha256:[0-9a-f]{64}$/);
      assert.equal(hash, opensslHash(cert));
    });
  }

  it('matches the hash written in the join fixture for its CA', () => {
    const ca = fileURLToPath(new URL('../../../../test/fixtures/plan/join/ca.crt', import.meta.url));
    assert.equal(caCertHash(readFileSync(ca, 'utf8')), opensslHash(ca));
    assert.equal(caCertHash(readFileSync(ca, 'utf8')), 'sha256:9efd25d1404f0d27ddc8b31d72588202ad165a20ce471760479713b24b20a9e8');
  });

  it('refuses what is not a certificate', () => {
    assert.throws(() => caCertHash('not a pem'));
  });
});
