/**
 * /var/lib/kubelet/kubeadm-flags.env: the kubelet flags kubeadm init/join wrote for the node, as one systemd
 * environment line `KUBELET_KUBEADM_ARGS="--flag=value ..."` (kubeadm's format: flags joined by spaces, the line
 * quoted). kubeadm writes it once; kubelab edits one flag in it when the node's address changed.
 */
import { StepError } from '../engine/errors.js';

export const KUBEADM_FLAGS_ENV = '/var/lib/kubelet/kubeadm-flags.env';
const LINE = /^KUBELET_KUBEADM_ARGS="([^"\\]*)"\s*$/;

/** The kubelet flags of the file, in order ("--node-ip=1.2.3.4"); null when it has no KUBELET_KUBEADM_ARGS line. */
export function kubeadmFlags(text: string): string[] | null {
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (m) return m[1]!.split(/\s+/).filter(Boolean);
  }
  if (/^KUBELET_KUBEADM_ARGS=/m.test(text)) {
    throw new StepError(`${KUBEADM_FLAGS_ENV}: its KUBELET_KUBEADM_ARGS line is not in kubeadm's format (one double-quoted list of flags)`, 'write it back as kubeadm did, or reset and rejoin the node');
  }
  return null;
}

/** The value of `--name=value` or `--name value` in a flag list (the last one wins, as for kubelet). */
export function flagValue(flags: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  flags.forEach((f, i) => {
    if (f.startsWith(`--${name}=`)) value = f.slice(name.length + 3);
    else if (f === `--${name}`) value = flags[i + 1];
  });
  return value;
}

/** The file with `--<name>=<value>` in place of every form of that flag (at the first one's place, else last). */
export function withKubeadmFlag(text: string, name: string, value: string): string {
  const flags = kubeadmFlags(text) ?? [];
  const out: string[] = [];
  let placed = false;
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i]!;
    const bare = f === `--${name}`;
    if (!bare && !f.startsWith(`--${name}=`)) {
      out.push(f);
      continue;
    }
    if (bare) i++; // its value is the next argument
    if (!placed) out.push(`--${name}=${value}`);
    placed = true;
  }
  if (!placed) out.push(`--${name}=${value}`);
  const line = `KUBELET_KUBEADM_ARGS="${out.join(' ')}"`;
  const lines = text.split('\n');
  const at = lines.findIndex((l) => LINE.test(l));
  if (at < 0) return `${text}${text && !text.endsWith('\n') ? '\n' : ''}${line}\n`;
  lines[at] = line;
  return lines.join('\n');
}
