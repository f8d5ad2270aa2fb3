import type { Fact } from '../engine/types.js';

export interface KernelModules {
  /** Modules loaded now or built into the running kernel. */
  available: Set<string>;
}

const SEPARATOR = '--kubelab-builtin--';

export function parseKernelModules(text: string): KernelModules {
  const [loaded = '', builtin = ''] = text.split(SEPARATOR);
  const available = new Set<string>();
  for (const line of loaded.split('\n')) {
    const name = line.split(' ')[0];
    if (name) available.add(name);
  }
  for (const line of builtin.split('\n')) {
    const m = /([^/]+)\.ko(\.[a-z]+)?$/.exec(line.trim());
    if (m) available.add(m[1]!.replace(/-/g, '_'));
  }
  return { available };
}

/** /proc/modules plus the running kernel's modules.builtin (a built-in module needs no loading). */
export const kernelModules: Fact<KernelModules> = {
  key: 'kernel-modules',
  argv: [
    'sh',
    '-c',
    'cat /proc/modules; echo "$1"; cat "/lib/modules/$(uname -r)/modules.builtin" 2>/dev/null; true',
    'sh',
    SEPARATOR,
  ],
  parse: (r) => parseKernelModules(r.stdout),
};
