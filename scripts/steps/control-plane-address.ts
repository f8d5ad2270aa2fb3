import { StepError, tail } from '../engine/errors.js';
import { pollUntil } from '../engine/poll.js';
import type { HostContext, Step } from '../engine/types.js';
import { fileContent } from '../facts/file.js';
import { requireHeldAddress } from '../facts/interfaces.js';
import { advertisedAddresses, APISERVER_MANIFEST, kubeadmFiles } from '../facts/kubeadm-files.js';
import { ADMIN_CONF, API_SERVER_PORT, initNode } from '../inventory/topology.js';
import { waitMs } from '../inventory/timing.js';
import { fileChanges } from '../host/managed-file.js';
import { initConfig, installedKubeadm, INIT_CONFIG, KUBELAB_KUBEADM_DIR } from './kubeadm-init.js';

/** The certificates that name the node's address (the API server's, etcd's server and peer), moved aside first. */
export const ADDRESSED_CERTS = ['apiserver', 'etcd/server', 'etcd/peer'].flatMap((c) => ['crt', 'key'].map((x) => `/etc/kubernetes/pki/${c}.${x}`));
/** kubeadm's `init phase certs` sub-phases that issue them again. */
const CERT_PHASES = ['apiserver', 'etcd-server', 'etcd-peer'];
/** The kubeconfigs kubeadm points at the node's own API endpoint (not controlPlaneEndpoint) on a control-plane node. */
export const LOCAL_KUBECONFIGS = ['kubelet', 'controller-manager', 'scheduler'].map((n) => `/etc/kubernetes/${n}.conf`);
/** Where the certificates for the old address are kept (one folder per old address). */
export const readdressBackup = (old: string): string => `${KUBELAB_KUBEADM_DIR}/before-readdress-${old}`;
/** times spec.timing.waitFactor: etcd and the API server starting again on the new address. */
export const READDRESS_WAIT_MS = 5 * 60_000;

/** Moves each existing file into the folder (flattened name), so kubeadm issues it again; the folder keeps the old. */
const MOVE_ASIDE = 'set -e; d=$1; shift; mkdir -p -m 0700 "$d"; for f do if [ -e "$f" ]; then mv -f -- "$f" "$d/$(printf %s "$f" | tr / _)"; fi; done';
/**
 * Points each kubeconfig whose server is https://OLD:PORT at https://NEW:PORT (kubectl config set-cluster: the file
 * is edited by kubectl, its credentials never leave the node); prints the files changed.
 */
const REPOINT = [
  'set -e; old=$1; new=$2; shift 2',
  'for f do',
  '  [ -e "$f" ] || continue',
  '  [ "$(kubectl config view --kubeconfig "$f" -o jsonpath="{.clusters[0].cluster.server}")" = "$old" ] || continue',
  '  kubectl config set-cluster "$(kubectl config view --kubeconfig "$f" -o jsonpath="{.clusters[0].name}")" --kubeconfig "$f" --server "$new" >/dev/null',
  '  echo "$f"',
  'done',
].join('\n');

async function waitApiServer(h: HostContext, old: string): Promise<void> {
  const timeoutMs = waitMs(h.inv, READDRESS_WAIT_MS);
  await pollUntil(
    async () => {
      const r = await h.transport.exec(['kubectl', '--kubeconfig', ADMIN_CONF, 'get', '--raw', '/readyz', '--request-timeout=10s'], { timeoutMs: 20_000 });
      return { done: r.code === 0, detail: tail(r.stderr || r.stdout, 2) };
    },
    {
      timeoutMs,
      intervalMs: 5000,
      // kubectl's answers are what is awaited; the node's connection failing (or an interrupt) ends the step
      onError: (err) => {
        throw err;
      },
      timeout: (last) =>
        new StepError(
          `the API server on ${h.node.name} did not answer on its new address ${h.node.address} within ${Math.round(timeoutMs / 1000)} s: ${last}`,
          `look at etcd and the API server on ${h.node.name} (crictl ps -a; crictl logs); the old certificates are in ${readdressBackup(old)}`,
        ),
    },
  );
}

/**
 * The control plane follows a changed host-only address: when kubeadm's API server manifest advertises another
 * address than the inventory's, the configuration is rendered for the new one, the API server's and etcd's
 * certificates are issued again (the old ones kept aside), etcd's and the control plane's static pod manifests
 * written again by kubeadm, the kubeconfigs pointing at the old local endpoint repointed, kubelet restarted, and
 * the step waits for the API server. Clients using controlPlaneEndpoint (the node's name, mapped by /etc/hosts in
 * the os phase) need nothing else. Runs before kubeadm-init, whose health check needs the API server back.
 */
export const controlPlaneAddressStep: Step = {
  name: 'control-plane-address',
  appliesTo: (node, inv) => node.name === initNode(inv).name,
  async plan(host) {
    const files = await host.facts.get(kubeadmFiles);
    if (!files.has(ADMIN_CONF) || !files.has(APISERVER_MANIFEST)) return [];
    const old = advertisedAddresses((await host.facts.get(fileContent(APISERVER_MANIFEST))) ?? '').get('--advertise-address');
    const address = host.node.address;
    if (old === undefined || old === address) return [];
    await requireHeldAddress(host, `the control plane on ${host.node.name} (advertising ${old})`);
    const version = await installedKubeadm(host);
    if (version === null) throw new StepError(`kubeadm is not installed on ${host.node.name}, though it was initialised`, 'run kubelab up --only packages first');
    const config = await fileChanges(host, INIT_CONFIG, initConfig(host.inv, host.node, version), 0o600);
    return [
      {
        description: `re-address the control plane ${old} -> ${address}: API server and etcd certificates, static pod manifests, local kubeconfigs (old certificates kept in ${readdressBackup(old)})`,
        apply: async (h) => {
          for (const c of config) await c.apply(h);
          await h.run(['sh', '-c', MOVE_ASIDE, 'sh', readdressBackup(old), ...ADDRESSED_CERTS]);
          for (const p of CERT_PHASES) await h.run(['kubeadm', 'init', 'phase', 'certs', p, '--config', INIT_CONFIG]);
          await h.run(['kubeadm', 'init', 'phase', 'etcd', 'local', '--config', INIT_CONFIG]);
          await h.run(['kubeadm', 'init', 'phase', 'control-plane', 'all', '--config', INIT_CONFIG]);
          const url = (a: string): string => `https://${a}:${API_SERVER_PORT}`;
          await h.run(['sh', '-c', REPOINT, 'sh', url(old), url(address), ...LOCAL_KUBECONFIGS]);
          await h.run(['systemctl', 'restart', 'kubelet']);
          await waitApiServer(h, old);
        },
      },
    ];
  },
};
