/**
 * Bounded capture of one output stream (stdout or stderr) of a remote command.
 *
 * Memory stays flat whatever the output size: only the last `keepBytes` are held (for parsing and display).
 * Once the output is larger than `spillAt` (or than keepBytes), the whole stream, secrets redacted as it goes
 * (StreamRedactor: also across chunk boundaries), is written to a file under the run's log folder, named by
 * the sha256 of its content: `<dir>/<sha256 prefix>.out`. The same huge output on ten hosts is stored once.
 * Writing pauses the channel while the file lags behind (backpressure), so a slow disk does not fill memory.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, statSync, unlinkSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

import { StreamRedactor } from './redact.js';

/** Default bytes of stdout / stderr kept in memory per command (see README "Large outputs"). */
export const DEFAULT_MAX_OUTPUT_BYTES = 8 * 1024 * 1024;
/** Outputs larger than this go to their own file in the run's log folder instead of inline in the host log. */
export const LOG_INLINE_BYTES = 1024 * 1024;

export interface CaptureOptions {
  keepBytes: number;
  /** Folder for the full output; undefined: nothing is written (the output is not logged). */
  spillDir?: string;
  spillAt?: number;
  secrets?: readonly string[];
  /** Called with false when the file lags behind (pause the source), true when it caught up. */
  flow?: (go: boolean) => void;
}

export interface CapturedOutput {
  /** The kept bytes (the whole output, or its last keepBytes), as UTF-8 text. */
  text: string;
  /** Bytes dropped from the front (0: text is the whole output). */
  cut: number;
  total: number;
  /** The file with the whole (redacted) output, when it was spilled. */
  file?: string;
}

export class OutputCapture {
  private chunks: Buffer[] = [];
  private kept = 0;
  private total = 0;
  private spill: { stream: WriteStream; tmp: string; hash: Hash; redactor: StreamRedactor; failed?: Error } | undefined;
  private readonly spillAt: number;
  private finished = false;

  constructor(private readonly opts: CaptureOptions) {
    this.spillAt = Math.min(opts.spillAt ?? LOG_INLINE_BYTES, opts.keepBytes);
  }

  push(data: Buffer): void {
    if (this.finished) return; // e.g. output still arriving from a command that timed out
    this.total += data.length;
    this.chunks.push(data);
    this.kept += data.length;
    if (!this.spill && this.opts.spillDir !== undefined && this.total > this.spillAt) {
      this.openSpill(this.opts.spillDir);
      // everything so far is still in memory (spillAt <= keepBytes): the file starts at byte 0
      for (const c of this.chunks) this.write(c);
    } else if (this.spill) {
      this.write(data);
    }
    this.trim();
  }

  /** The kept text and, when spilled, the finished file (renamed to its content hash). */
  async finish(): Promise<CapturedOutput> {
    this.finished = true;
    const buf = Buffer.concat(this.chunks);
    // Cut at a character boundary: skip UTF-8 continuation bytes at the front of a cut output.
    let skip = 0;
    if (this.total > buf.length) while (skip < buf.length && skip < 3 && (buf[skip]! & 0xc0) === 0x80) skip++;
    const out: CapturedOutput = { text: buf.subarray(skip).toString('utf8'), cut: this.total - buf.length + skip, total: this.total };
    const file = await this.closeSpill();
    if (file) out.file = file;
    return out;
  }

  private trim(): void {
    while (this.kept > this.opts.keepBytes && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const over = this.kept - this.opts.keepBytes;
      if (first.length <= over) {
        this.chunks.shift();
        this.kept -= first.length;
      } else {
        this.chunks[0] = Buffer.from(first.subarray(over)); // a copy: do not pin the whole chunk
        this.kept -= over;
      }
    }
  }

  private openSpill(dir: string): void {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `.partial-${randomBytes(8).toString('hex')}`);
    const stream = createWriteStream(tmp, { mode: 0o600 });
    const spill = { stream, tmp, hash: createHash('sha256'), redactor: new StreamRedactor(this.opts.secrets) } as NonNullable<OutputCapture['spill']>;
    stream.on('error', (err) => {
      spill.failed = err;
      this.opts.flow?.(true);
    });
    stream.on('drain', () => this.opts.flow?.(true));
    this.spill = spill;
  }

  private write(data: Buffer): void {
    const s = this.spill!;
    if (s.failed) return;
    const safe = s.redactor.push(data);
    if (safe.length === 0) return;
    s.hash.update(safe);
    if (!s.stream.write(safe)) this.opts.flow?.(false);
  }

  private async closeSpill(): Promise<string | undefined> {
    const s = this.spill;
    if (!s) return undefined;
    this.spill = undefined;
    const last = s.redactor.end();
    s.hash.update(last);
    await new Promise<void>((resolve) => s.stream.end(last, () => resolve()));
    if (s.failed) {
      try {
        unlinkSync(s.tmp);
      } catch {
        /* never created */
      }
      return undefined;
    }
    const file = join(this.opts.spillDir!, `${s.hash.digest('hex').slice(0, 32)}.out`);
    try {
      if (exists(file)) unlinkSync(s.tmp); // the same output is stored already (another host, an earlier command)
      else renameSync(s.tmp, file);
      return file;
    } catch {
      return undefined;
    }
  }
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}
