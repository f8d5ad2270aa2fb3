/** Unix socket paths that fit sun_path (the connection keeper's socket, the provider's QMP and VDE sockets). */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** sun_path holds 108 bytes; keep room for the names vde_switch adds inside its directory. */
const MAX_SOCK = 90;

/** `preferred` when it fits a unix socket path, else a short stable path under /tmp keyed by the state dir. */
export function socketPath(stateDir: string, preferred: string, shortName: string): string {
  if (Buffer.byteLength(preferred) <= MAX_SOCK) return preferred;
  const h = createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 12);
  return join(tmpdir(), `kubelab-${h}`, shortName);
}
