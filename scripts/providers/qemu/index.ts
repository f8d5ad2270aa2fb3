/** The qemu provider: lab VMs with the VirtualBox topology (NAT eth0 + private host-only eth1). */
export { resolveProvider, PROVIDER_DEFAULTS } from './types.js';
export type { QemuLab, QemuLabNode, QemuProviderSpec, QemuImageSpec, QemuAccel, QemuAccelMode, ResolvedProvider, VmOptions } from './types.js';
export {
  vmUp,
  vmDown,
  vmStatus,
  vmReboot,
  providerEndpoints,
  nodeSshTarget,
  labKeyPath,
  waitForSsh,
  OVERLAY_SIZE_BYTES,
} from './vm.js';
export type { VmUpOptions, VmUpResult, VmUpState, VmStatus, VmDownOptions, VmDownResult, VmRebootOptions, VmRebootResult } from './vm.js';
export { ensureLabKey } from './keys.js';
export type { LabKey } from './keys.js';
export { detectAccel } from './accel.js';
export type { AccelDecision } from './accel.js';
export { ensureBaseImage } from './image.js';
export type { BootImage } from './image.js';
export { sshBanner } from './ssh.js';
