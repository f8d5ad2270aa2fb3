/** containerd-config-drift: /etc/containerd/config.toml is not what kubelab renders from `containerd config default`. */
import { createHash } from 'node:crypto';
import { containerdDefaultConfig } from '../facts/containerd.js';
import { fileSha256 } from '../facts/file-sha256.js';
import { commandExists } from '../facts/systemd.js';
import { renderContainerdConfig } from '../render/containerd.js';
import { CONTAINERD_CONFIG, containerdSettings } from '../steps/containerd-config.js';
import type { DoctorSource, Finding } from './types.js';

const SUM = fileSha256([CONTAINERD_CONFIG]);
const HAS_CONTAINERD = commandExists('containerd');

export const containerdConfigSource: DoctorSource = {
  name: 'containerd-config',
  facts: () => [HAS_CONTAINERD, containerdDefaultConfig, SUM],
  diagnose(ctx) {
    const out: Finding[] = [];
    for (const node of ctx.nodes) {
      const defaults = ctx.value(node, containerdDefaultConfig);
      if (!ctx.value(node, HAS_CONTAINERD) || defaults === undefined) continue;
      let desired: string;
      try {
        desired = renderContainerdConfig(defaults, containerdSettings(ctx.inv));
      } catch {
        continue; // a containerd kubelab cannot configure: `up` says why
      }
      const want = createHash('sha256').update(desired).digest('hex');
      const have = ctx.value(node, SUM)?.get(CONTAINERD_CONFIG);
      if (have === want) continue;
      out.push({
        code: 'containerd-config-drift',
        node: node.name,
        symptom: have === undefined ? `${CONTAINERD_CONFIG} is missing` : `${CONTAINERD_CONFIG} differs from what kubelab renders (sha256 ${have.slice(0, 12)}, expected ${want.slice(0, 12)})`,
        cause: 'the file was edited or replaced after `kubelab up` (e.g. a package upgrade writing its default, without SystemdCgroup = true or the sandbox image)',
        ...ctx.fix.repaired({ phases: ['runtime'] }),
      });
    }
    return out;
  },
};
