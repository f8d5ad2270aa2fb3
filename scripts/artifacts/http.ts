/** HTTP GETs for artifact downloads (global fetch, injectable), with errors that name the URL. */
import type { OnDownload } from '../util/download-notice.js';
import { KubelabError } from '../util/errors.js';

export interface HttpOptions {
  /** Injected in tests; default the global fetch. */
  readonly fetch?: typeof fetch;
  /** Per request (default 10 minutes: release binaries and image layers are large). */
  readonly timeoutMs?: number;
  /** Told before each file is downloaded (not for the small sum files beside them). */
  readonly onDownload?: OnDownload;
}

/** A GET; network failures become a KubelabError naming the URL. */
export async function httpGet(url: string, opts: HttpOptions, headers: Record<string, string> = {}): Promise<Response> {
  const doFetch = opts.fetch ?? fetch;
  try {
    return await doFetch(url, { headers, redirect: 'follow', signal: AbortSignal.timeout(opts.timeoutMs ?? 600_000) });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
    throw new KubelabError(`cannot download ${url}: ${cause}`, 'check the network, or the mirror settings (spec.mirrors, spec.runtime.registryMirrors)');
  }
}

/** The body of a successful GET. */
export async function httpBytes(url: string, opts: HttpOptions): Promise<Buffer> {
  const res = await httpGet(url, opts);
  if (!res.ok) throw new KubelabError(`cannot download ${url}: HTTP ${res.status} ${res.statusText}`.trim());
  return Buffer.from(await res.arrayBuffer());
}

/** A base URL (no trailing slash) joined with a relative path. */
export const joinUrl = (base: string, path: string): string => `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
