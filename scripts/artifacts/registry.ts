/**
 * A read-only client of the OCI distribution API (what containerd and skopeo speak): manifests by tag or
 * digest (OCI index/manifest, Docker manifest list/v2), anonymous Bearer token auth from a 401 challenge,
 * manifest lists resolved to linux/<arch>, blobs streamed to disk and verified by digest and size.
 * Endpoints: the mirrors of spec.runtime.registryMirrors for the image's registry (same meaning as containerd's
 * hosts.toml: `<mirror>/v2/<repository>/...`), then the registry itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { isObj, type Obj } from '../util/objects.js';
import { KubelabError } from '../util/errors.js';
import { sha256Hex } from '../manifests/store.js';
import { httpGet, type HttpOptions } from './http.js';
import type { ImageRef } from './image-ref.js';
import type { Arch } from '../engine/install-artifacts.js';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;
const ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');

/** Bytes that do not match the digest naming them: never retried on another endpoint. */
export class DigestMismatchError extends KubelabError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = 'DigestMismatchError';
  }
}

/** The v2 API base URLs to try for a registry host, in order: its mirrors, then the registry itself. */
export function registryEndpoints(host: string, mirrors: Readonly<Record<string, readonly string[]>>): string[] {
  const upstream = host === 'docker.io' ? 'https://registry-1.docker.io' : `https://${host}`;
  return [...(mirrors[host] ?? []), upstream].map((u) => {
    const base = u.replace(/\/+$/, '');
    return base.endsWith('/v2') ? base : `${base}/v2`;
  });
}

/** `Bearer realm="https://auth.example/token",service="registry",scope="repository:x:pull"` -> its fields. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const sp = header.indexOf(' ');
  const scheme = (sp < 0 ? header : header.slice(0, sp)).toLowerCase();
  const params: Record<string, string> = {};
  const re = /([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"|([a-zA-Z_]+)=([^,\s]+)/g;
  for (const m of (sp < 0 ? '' : header.slice(sp + 1)).matchAll(re)) {
    if (m[1]) params[m[1].toLowerCase()] = m[2]!.replace(/\\(.)/g, '$1');
    else if (m[3]) params[m[3].toLowerCase()] = m[4]!;
  }
  return { scheme, params };
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: { readonly os?: string; readonly architecture?: string; readonly variant?: string };
}

/** A platform manifest as fetched: its bytes (verified), digest, and the blobs it names. */
export interface PlatformManifest {
  readonly mediaType: string;
  readonly digest: string;
  readonly bytes: Buffer;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  /** The v2 base URL that served it (blobs come from the same place). */
  readonly endpoint: string;
}

function descriptor(v: unknown, where: string): Descriptor {
  if (!isObj(v) || typeof v.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(v.digest) || typeof v.size !== 'number') {
    throw new KubelabError(`${where}: malformed descriptor ${JSON.stringify(v).slice(0, 200)}`);
  }
  return v as unknown as Descriptor;
}

/** One session with a registry: tokens are kept per endpoint and repository for the session only. */
export class RegistryClient {
  private readonly tokens = new Map<string, string>();

  constructor(
    private readonly mirrors: Readonly<Record<string, readonly string[]>>,
    private readonly http: HttpOptions = {},
  ) {}

  /** GET with the session's token; on a 401 Bearer challenge, fetch an anonymous token and retry once. */
  private async get(endpoint: string, ref: ImageRef, path: string, accept?: string): Promise<Response> {
    const url = `${endpoint}/${ref.repository}/${path}`;
    const key = `${endpoint} ${ref.repository}`;
    const headers = (): Record<string, string> => {
      const h: Record<string, string> = {};
      if (accept) h.accept = accept;
      const t = this.tokens.get(key);
      if (t) h.authorization = `Bearer ${t}`;
      return h;
    };
    let res = await httpGet(url, this.http, headers());
    if (res.status !== 401) return res;
    const challenge = parseChallenge(res.headers.get('www-authenticate') ?? '');
    await res.body?.cancel();
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) {
      throw new KubelabError(`${url}: HTTP 401 without a Bearer challenge (${res.headers.get('www-authenticate') ?? 'none'})`, 'kubelab pulls anonymously: the image must be public');
    }
    const tokenUrl = new URL(challenge.params.realm);
    if (challenge.params.service) tokenUrl.searchParams.set('service', challenge.params.service);
    tokenUrl.searchParams.set('scope', challenge.params.scope ?? `repository:${ref.repository}:pull`);
    const tr = await httpGet(tokenUrl.toString(), this.http);
    if (!tr.ok) throw new KubelabError(`token for ${ref.full} from ${tokenUrl.origin}${tokenUrl.pathname}: HTTP ${tr.status}`, 'kubelab pulls anonymously: the image must be public');
    const body = (await tr.json()) as Obj;
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (!token) throw new KubelabError(`token for ${ref.full} from ${tokenUrl.origin}${tokenUrl.pathname}: no token in the answer`);
    this.tokens.set(key, token);
    res = await httpGet(url, this.http, headers());
    return res;
  }

  /** A manifest by tag or digest, its bytes verified against the digest when one is known. */
  private async manifest(endpoint: string, ref: ImageRef, reference: string): Promise<{ mediaType: string; digest: string; bytes: Buffer; doc: Obj }> {
    const res = await this.get(endpoint, ref, `manifests/${reference}`, ACCEPT);
    if (!res.ok) {
      await res.body?.cancel();
      throw new KubelabError(`${endpoint}/${ref.repository}/manifests/${reference}: HTTP ${res.status}`);
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = `sha256:${sha256Hex(bytes)}`;
    const claimed = reference.startsWith('sha256:') ? reference : res.headers.get('docker-content-digest');
    if (claimed && claimed !== digest) {
      throw new DigestMismatchError(`digest mismatch for the manifest of ${ref.full} from ${endpoint}: expected ${claimed}, got ${digest}`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new KubelabError(`the manifest of ${ref.full} from ${endpoint} is not JSON`);
    }
    if (!isObj(doc)) throw new KubelabError(`the manifest of ${ref.full} from ${endpoint} is not a JSON object`);
    const mediaType = (typeof doc.mediaType === 'string' ? doc.mediaType : res.headers.get('content-type')?.split(';')[0]) ?? MEDIA.ociManifest;
    return { mediaType, digest, bytes, doc };
  }

  /** The image's manifest for linux/<arch> (through an index or manifest list when the reference names one). */
  async platformManifest(ref: ImageRef, arch: Arch): Promise<PlatformManifest> {
    const failures: string[] = [];
    for (const endpoint of registryEndpoints(ref.host, this.mirrors)) {
      let top;
      try {
        top = await this.manifest(endpoint, ref, ref.digest ?? ref.tag ?? 'latest');
      } catch (e) {
        // a mirror that answers with different bytes than the digest is an error, not a fallback
        if (e instanceof DigestMismatchError) throw e;
        failures.push((e as Error).message);
        continue;
      }
      let m = top;
      if (top.mediaType === MEDIA.ociIndex || top.mediaType === MEDIA.dockerList || Array.isArray(top.doc.manifests)) {
        const list = (Array.isArray(top.doc.manifests) ? top.doc.manifests : []).map((d) => descriptor(d, `index of ${ref.full}`));
        const pick =
          list.find((d) => d.platform?.os === 'linux' && d.platform.architecture === arch && (arch !== 'arm64' || !d.platform.variant || d.platform.variant === 'v8')) ??
          undefined;
        if (!pick) {
          const have = list.map((d) => `${d.platform?.os ?? '?'}/${d.platform?.architecture ?? '?'}`).join(', ');
          throw new KubelabError(`${ref.full} has no linux/${arch} image (it has: ${have || 'none'})`);
        }
        m = await this.manifest(endpoint, ref, pick.digest);
      }
      const config = descriptor(m.doc.config, `manifest of ${ref.full}`);
      const layers = (Array.isArray(m.doc.layers) ? m.doc.layers : []).map((d) => descriptor(d, `manifest of ${ref.full}`));
      return { mediaType: m.mediaType, digest: m.digest, bytes: m.bytes, config, layers, endpoint };
    }
    throw new KubelabError(`cannot fetch ${ref.full}: ${failures.join('; ')}`, 'check spec.runtime.registryMirrors (and that the mirror has the image)');
  }

  /** A blob streamed to `file` (atomically), refused unless its sha256 and size match the descriptor. */
  async blobToFile(endpoint: string, ref: ImageRef, d: Descriptor, file: string): Promise<void> {
    const res = await this.get(endpoint, ref, `blobs/${d.digest}`);
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new KubelabError(`${endpoint}/${ref.repository}/blobs/${d.digest}: HTTP ${res.status}`);
    }
    await mkdir(dirname(file), { recursive: true });
    const tmp = join(dirname(file), `.${d.digest.slice(7)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const hash = createHash('sha256');
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), count, createWriteStream(tmp, { mode: 0o644 }));
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== d.digest || size !== d.size) {
        throw new DigestMismatchError(
          `digest mismatch for blob ${d.digest} of ${ref.full} from ${endpoint}: got ${got} (${size} bytes, expected ${d.size})`,
          'the registry or mirror served other bytes than the manifest names; nothing was kept',
        );
      }
      await rename(tmp, file);
    } finally {
      await rm(tmp, { force: true });
    }
  }
}
