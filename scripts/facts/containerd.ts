import type { Fact } from '../engine/types.js';

/** `containerd config default`: containerd's built-in defaults for this exact version (no side effects). */
export const containerdDefaultConfig: Fact<string> = {
  key: 'containerd-config-default',
  argv: ['containerd', 'config', 'default'],
  parse: (r) => r.stdout,
};

/** Major.minor of the installed containerd ("containerd github.com/containerd/containerd 1.6.20~ds1 ..."). */
export const containerdVersion: Fact<{ major: number; minor: number; text: string }> = {
  key: 'containerd-version',
  argv: ['containerd', '--version'],
  parse: (r) => parseContainerdVersion(r.stdout),
};

export function parseContainerdVersion(text: string): { major: number; minor: number; text: string } {
  const m = /\bv?(\d+)\.(\d+)\.\d+\S*/.exec(text);
  if (!m) return { major: 0, minor: 0, text: text.trim() };
  return { major: Number(m[1]), minor: Number(m[2]), text: m[0] };
}
