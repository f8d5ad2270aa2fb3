/** Image references as containerd names them (docker.io/library/x:latest), split for the distribution API. */
import { UsageError } from '../util/errors.js';

export interface ImageRef {
  /** Registry host (docker.io for Docker Hub), maybe with a port. */
  readonly host: string;
  /** Repository path, e.g. "pause", "coredns/coredns", "library/nginx". */
  readonly repository: string;
  readonly tag?: string;
  /** sha256:<hex> when the reference pins a digest. */
  readonly digest?: string;
  /** The full reference containerd uses: host/repository[:tag][@digest]. */
  readonly full: string;
}

export function parseImageRef(ref: string): ImageRef {
  const m = /^(?:([^/]+)\/)?([a-z0-9][a-z0-9._/-]*?)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(ref);
  if (!m) throw new UsageError(`not an image reference: ${ref}`);
  let [, first, rest] = m as unknown as [string, string | undefined, string];
  const tag = m[3];
  const digest = m[4];
  let host: string;
  if (first !== undefined && (first.includes('.') || first.includes(':') || first === 'localhost')) host = first;
  else {
    host = 'docker.io';
    rest = first === undefined ? rest : `${first}/${rest}`;
  }
  if (host === 'docker.io' && !rest.includes('/')) rest = `library/${rest}`;
  const t = tag ?? (digest ? undefined : 'latest');
  const full = `${host}/${rest}${t ? `:${t}` : ''}${digest ? `@${digest}` : ''}`;
  return { host, repository: rest, ...(t ? { tag: t } : {}), ...(digest ? { digest } : {}), full };
}
