import { StepError } from '../engine/errors.js';
import type { Step } from '../engine/types.js';
import { osRelease, type OsRelease } from '../facts/os-release.js';

export const SUPPORTED_OS: Readonly<Record<string, readonly string[]>> = {
  ubuntu: ['22.04', '24.04'],
  debian: ['12', '13'],
};

export function isSupported(os: OsRelease): boolean {
  return SUPPORTED_OS[os.id]?.includes(os.versionId) ?? false;
}

/** Reads /etc/os-release before anything else and stops on an OS kubelab was not built for. */
export const osSupported: Step = {
  name: 'os-supported',
  async plan(host) {
    const os = await host.facts.get(osRelease);
    if (!isSupported(os)) {
      throw new StepError(
        `${os.prettyName} (ID=${os.id || '?'} VERSION_ID=${os.versionId || '?'}) is not supported`,
        'kubelab prepares Ubuntu 22.04/24.04 and Debian 12/13 nodes; reinstall the VM with one of those',
      );
    }
    return [];
  },
};
