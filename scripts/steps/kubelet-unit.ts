import type { Change, Step } from '../engine/types.js';
import { fileContent } from '../facts/file.js';
import { unitState } from '../facts/systemd.js';
import { comment, env, renderUnit, setting, type UnitFile } from '../render/systemd-unit.js';
import { fileChanges } from '../host/managed-file.js';

/** Where the kubelet and kubeadm .deb packages put them (%{_unitdir}), so either install source finds them. */
export const KUBELET_UNIT_PATH = '/usr/lib/systemd/system/kubelet.service';
export const KUBEADM_DROPIN_PATH = '/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf';
/** KUBELET_EXTRA_ARGS for the user: the package's %config(noreplace) file, created once and never rewritten. */
export const KUBELET_DEFAULTS_PATH = '/etc/default/kubelet';

/** kubelet.service of the official packages (kubernetes/release cmd/krel/templates/latest/kubelet/). */
export const KUBELET_UNIT: UnitFile = {
  sections: [
    {
      name: 'Unit',
      lines: [
        setting('Description', 'kubelet: The Kubernetes Node Agent'),
        setting('Documentation', 'https://kubernetes.io/docs/'),
        setting('Wants', 'network-online.target'),
        setting('After', 'network-online.target'),
      ],
    },
    {
      name: 'Service',
      lines: [setting('ExecStart', '/usr/bin/kubelet'), setting('Restart', 'always'), setting('StartLimitInterval', '0'), setting('RestartSec', '10')],
    },
    { name: 'Install', lines: [setting('WantedBy', 'multi-user.target')] },
  ],
};

/** 10-kubeadm.conf of the official kubeadm .deb (the rpm's /etc/sysconfig/kubelet is /etc/default/kubelet there). */
export const KUBEADM_DROPIN: UnitFile = {
  comments: ['Note: This dropin only works with kubeadm and kubelet v1.11+'],
  sections: [
    {
      name: 'Service',
      lines: [
        env('KUBELET_KUBECONFIG_ARGS', '--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf'),
        env('KUBELET_CONFIG_ARGS', '--config=/var/lib/kubelet/config.yaml'),
        comment('This is a file that "kubeadm init" and "kubeadm join" generates at runtime, populating the KUBELET_KUBEADM_ARGS variable dynamically'),
        setting('EnvironmentFile', '-/var/lib/kubelet/kubeadm-flags.env'),
        comment('This is a file that the user can use for overrides of the kubelet args as a last resort. Preferably, the user should use'),
        comment(`the .NodeRegistration.KubeletExtraArgs object in the configuration files instead. KUBELET_EXTRA_ARGS should be sourced from this file.`),
        setting('EnvironmentFile', `-${KUBELET_DEFAULTS_PATH}`),
        setting('ExecStart', ''),
        setting('ExecStart', '/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS'),
      ],
    },
  ],
};

/** kubelet.env of the packages. */
export const KUBELET_DEFAULTS = 'KUBELET_EXTRA_ARGS=\n';

/**
 * `install: binaries`: the kubelet unit and the kubeadm drop-in as the packages ship them, /etc/default/kubelet
 * when absent, systemd reloaded after a change, kubelet enabled (kubeadm init/join starts it).
 */
export const kubeletUnitStep: Step = {
  name: 'kubelet-unit',
  appliesTo: (_node, inv) => inv.spec.kubernetes.install === 'binaries',
  files: () => [
    { scope: 'node', path: KUBELET_UNIT_PATH, content: renderUnit(KUBELET_UNIT) },
    { scope: 'node', path: KUBEADM_DROPIN_PATH, content: renderUnit(KUBEADM_DROPIN) },
  ],
  async plan(host) {
    const units: Change[] = [
      ...(await fileChanges(host, KUBELET_UNIT_PATH, renderUnit(KUBELET_UNIT))),
      ...(await fileChanges(host, KUBEADM_DROPIN_PATH, renderUnit(KUBEADM_DROPIN))),
    ];
    const changes: Change[] = [...units];
    if ((await host.facts.get(fileContent(KUBELET_DEFAULTS_PATH))) === null) {
      changes.push(...(await fileChanges(host, KUBELET_DEFAULTS_PATH, KUBELET_DEFAULTS)));
    }
    if (units.length) {
      changes.push({ description: 'systemctl daemon-reload', apply: async (h) => void (await h.run(['systemctl', 'daemon-reload'])) });
    }
    const state = await host.facts.get(unitState('kubelet'));
    if (state.enabled !== 'enabled') {
      changes.push({ description: 'enable kubelet.service', apply: async (h) => void (await h.run(['systemctl', 'enable', '--', 'kubelet.service'])) });
    }
    return changes;
  },
};
