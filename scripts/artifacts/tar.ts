/**
 * A small tar reader (gzip via node:zlib) for release tarballs, and a writer for OCI image archives.
 * Reader: regular files only (directories skipped; links, devices refused), names normalised, path traversal
 * refused; ustar prefixes, GNU long names and pax `path` records understood. Writer: ustar, mode 0644, mtime 0.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { KubelabError } from '../util/errors.js';

export interface TarMember {
  /** Normalised relative path ("./bridge" -> "bridge"). */
  readonly name: string;
  readonly mode: number;
  readonly data: Buffer;
}

const BLOCK = 512;

function str(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

function octal(b: Buffer, off: number, len: number, what: string, source: string): number {
  const field = b.subarray(off, off + len);
  if (field[0]! & 0x80) {
    // base-256 (GNU) for large sizes
    let n = 0;
    for (let i = 1; i < len; i++) n = n * 256 + field[i]!;
    return n;
  }
  const t = str(b, off, len).trim();
  if (t === '') return 0;
  if (!/^[0-7]+$/.test(t)) throw new KubelabError(`${source}: bad tar header (${what} ${JSON.stringify(t)})`);
  return parseInt(t, 8);
}

/** "./a/b" -> "a/b"; absolute paths and ".." components refused. */
function safeName(raw: string, source: string): string {
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (raw.startsWith('/') || parts.includes('..') || raw.includes('\\')) {
    throw new KubelabError(`${source}: refusing tar member ${JSON.stringify(raw)} (path outside the archive)`);
  }
  return parts.join('/');
}

function paxPath(data: Buffer): string | undefined {
  let at = 0;
  let path: string | undefined;
  while (at < data.length) {
    const sp = data.indexOf(0x20, at);
    if (sp < 0) break;
    const len = Number(data.subarray(at, sp).toString());
    if (!Number.isInteger(len) || len <= 0) break;
    const rec = data.subarray(sp + 1, at + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (rec.slice(0, eq) === 'path') path = rec.slice(eq + 1);
    at += len;
  }
  return path;
}

/** The regular files of a tar (gzip-compressed when it starts with the gzip magic). */
export function readTar(archive: Buffer, source: string): TarMember[] {
  let buf: Buffer;
  try {
    buf = archive[0] === 0x1f && archive[1] === 0x8b ? gunzipSync(archive) : archive;
  } catch (e) {
    throw new KubelabError(`${source}: not a gzip file: ${(e as Error).message}`);
  }
  const out: TarMember[] = [];
  let at = 0;
  let longName: string | undefined;
  while (at + BLOCK <= buf.length) {
    const h = buf.subarray(at, at + BLOCK);
    if (h.every((x) => x === 0)) break;
    const size = octal(h, 124, 12, 'size', source);
    const type = String.fromCharCode(h[156] || 0x30);
    const dataStart = at + BLOCK;
    if (dataStart + size > buf.length) throw new KubelabError(`${source}: truncated tar archive`);
    const data = buf.subarray(dataStart, dataStart + size);
    at = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = str(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      longName = paxPath(data) ?? longName;
      continue;
    }
    if (type === 'g') continue;
    const prefix = h.subarray(257, 263).toString('latin1').startsWith('ustar') ? str(h, 345, 155) : '';
    const raw = longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
    longName = undefined;
    const name = safeName(raw, source);
    if (type === '5') continue;
    if (type !== '0' && type !== '7') {
      throw new KubelabError(`${source}: refusing tar member ${JSON.stringify(raw)} of type ${JSON.stringify(type)} (only regular files)`);
    }
    if (name === '') continue;
    out.push({ name, mode: octal(h, 100, 8, 'mode', source) & 0o7777, data: Buffer.from(data) });
  }
  return out;
}

function header(name: string, size: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`tar name too long: ${name}`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  h.write(base, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/** One member of a tar being written: bytes, or a file streamed from disk. */
export type TarEntry = { readonly name: string; readonly data: Buffer } | { readonly name: string; readonly file: string; readonly size: number };

/** Writes an uncompressed tar to an open file, in the order given. */
export async function writeTar(fh: FileHandle, entries: readonly TarEntry[]): Promise<void> {
  for (const e of entries) {
    const size = 'data' in e ? e.data.length : e.size;
    await fh.write(header(e.name, size));
    if ('data' in e) await fh.write(e.data);
    else {
      let n = 0;
      for await (const chunk of createReadStream(e.file)) {
        n += (chunk as Buffer).length;
        await fh.write(chunk as Buffer);
      }
      if (n !== size) throw new Error(`${e.file} changed size while archived`);
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad) await fh.write(Buffer.alloc(pad));
  }
  await fh.write(Buffer.alloc(BLOCK * 2));
}

/** Writes a tar file whole: to a temp file beside it, renamed into place when complete (removed on failure). */
export async function writeTarFile(file: string, entries: readonly TarEntry[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.partial`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await writeTar(fh, entries);
    await fh.close();
    await rename(tmp, file);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
}
