import { readFile } from 'node:fs/promises';
import type { PutOptions, Transport } from './types.js';

/** Uploads a local file through the transport's streaming putFile, or reads it whole for transports without one. */
export async function putLocalFile(transport: Transport, localPath: string, dest: string, opts: PutOptions): Promise<void> {
  if (transport.putFile) return transport.putFile(localPath, dest, opts);
  return transport.put(await readFile(localPath), dest, opts);
}
