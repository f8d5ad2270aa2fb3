/** The doctor's finding sources, in the order their findings are listed (reachability and the API first). */
import { addressesSource } from './addresses.js';
import { apiSource } from './api.js';
import { certificatesSource } from './certificates.js';
import { cniSource } from './cni.js';
import { clockSource } from './clock.js';
import { containerdConfigSource } from './containerd-config.js';
import { diskSource } from './disk.js';
import { flannelSource } from './flannel.js';
import { nfsSource } from './nfs.js';
import { podsSource } from './pods.js';
import { reachabilitySource } from './reachability.js';
import { servicesSource } from './services.js';
import { swapSource } from './swap.js';
import type { DoctorSource } from './types.js';

export const DOCTOR_SOURCES: readonly DoctorSource[] = [
  reachabilitySource,
  apiSource,
  clockSource,
  swapSource,
  servicesSource,
  containerdConfigSource,
  addressesSource,
  flannelSource,
  cniSource,
  certificatesSource,
  nfsSource,
  diskSource,
  podsSource,
];
