import { StepError } from '../engine/errors.js';
import type { Fact } from '../engine/types.js';

/** `kubeadm version -o short` ("v1.35.2"), or null when kubeadm is not installed yet. */
export const kubeadmVersion: Fact<string | null> = {
  key: 'kubeadm-version',
  argv: ['sh', '-c', 'command -v kubeadm >/dev/null || exit 127; exec kubeadm version -o short'],
  okCodes: [0, 127],
  parse: (r) => {
    if (r.code === 127) return null;
    const v = r.stdout.trim();
    if (!/^v\d+\.\d+\.\d+/.test(v)) throw new StepError(`kubeadm version -o short printed ${JSON.stringify(v)}, not a version`);
    return v;
  },
};
