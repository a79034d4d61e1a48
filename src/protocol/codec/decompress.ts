/**
 * Decompression of received bodies the server marked `GZIP`, after the digest check.
 *
 * The proxy marks every still-compressed body `GZIP`, whatever the codec (4.x remoting producers
 * compress with zlib by default, and may use LZ4 or Zstd), so the format is found by its magic bytes:
 *
 * | format | magic                                   | decoder                                      |
 * |--------|-----------------------------------------|----------------------------------------------|
 * | gzip   | `1F 8B`                                  | `zlib.gunzipSync`                            |
 * | zlib   | CMF/FLG header (`78 01/5E/9C/DA`, …)    | `zlib.inflateSync`                           |
 * | LZ4    | frame magic `04 22 4D 18`               | {@link lz4FrameDecompress} (pure TypeScript) |
 * | Zstd   | `28 B5 2F FD`                           | `zlib.zstdDecompressSync` on Node ≥ 22.15 / 23.8, else unsupported |
 *
 * **Unknown magic → failure.** A body marked compressed whose bytes match no known format is reported
 * as a failure (so the message becomes `corrupted`, raw bytes kept) instead of being passed on as if it
 * were plain: the server only marks bodies it stored with the compressed flag, so handing those bytes
 * to the application as the payload would be silently wrong. Corrupted messages are nacked and end up
 * in the dead-letter queue, where they can be inspected.
 *
 * **Synchronous zlib.** Bodies are at most 4 MiB as transported (the server's message size limit), so a
 * synchronous inflate costs a few milliseconds at worst, which is less than the thread-pool round trip
 * of the async API for typical (KiB-sized) bodies; it also keeps message decoding a pure, synchronous
 * function. The output is bounded by `maxOutputLength` so a decompression bomb fails instead of
 * exhausting memory.
 *
 * @packageDocumentation
 */

import * as zlib from 'node:zlib';
import { inspectZstdFrames } from './zstd-frame.js';

/** Formats recognised by {@link detectCompression}. */
export type CompressionFormat = 'gzip' | 'zlib' | 'lz4' | 'zstd';

/** Default bound on a decompressed body: 64 MiB. */
export const DEFAULT_MAX_DECOMPRESSED_SIZE = 64 * 1024 * 1024;

/** Options of {@link decompress}. */
export interface DecompressOptions {
  /** Largest accepted decompressed size in bytes. @defaultValue {@link DEFAULT_MAX_DECOMPRESSED_SIZE} */
  maxOutputLength?: number;
}

/** Outcome of {@link decompress}; never thrown. */
export type DecompressResult =
  | { readonly ok: true; readonly format: CompressionFormat; readonly body: Buffer }
  | { readonly ok: false; readonly format: CompressionFormat | undefined; readonly error: string };

const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_SKIPPABLE_MASK = 0xfffffff0;
const LZ4_SKIPPABLE_MAGIC = 0x184d2a50;

/** Identifies the compression format from the first bytes, or `undefined` when none matches. */
export function detectCompression(body: Uint8Array): CompressionFormat | undefined {
  if (body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b) return 'gzip';
  if (body.length >= 4 && body[0] === 0x04 && body[1] === 0x22 && body[2] === 0x4d && body[3] === 0x18) {
    return 'lz4';
  }
  if (body.length >= 4 && body[0] === 0x28 && body[1] === 0xb5 && body[2] === 0x2f && body[3] === 0xfd) {
    return 'zstd';
  }
  if (body.length >= 2) {
    // RFC 1950: CM = 8 (deflate), CINFO ≤ 7, and CMF·256 + FLG divisible by 31.
    const cmf = body[0]!;
    const flg = body[1]!;
    if ((cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0) return 'zlib';
  }
  return undefined;
}

type ZstdDecompressSync = (buf: Uint8Array, options?: { maxOutputLength?: number }) => Buffer;

function zstdDecoder(): ZstdDecompressSync | undefined {
  const fn = (zlib as unknown as { zstdDecompressSync?: ZstdDecompressSync }).zstdDecompressSync;
  return typeof fn === 'function' ? fn : undefined;
}

/** True when the running Node can decompress Zstd (`zlib.zstdDecompressSync`, Node ≥ 22.15 / 23.8). */
export function isZstdSupported(): boolean {
  return zstdDecoder() !== undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Decompresses `body` according to its magic bytes. Never throws: failures (unknown format, malformed
 * or truncated data, checksum errors, output over the limit, Zstd on an old Node) come back as
 * `{ ok: false, error }`.
 */
export function decompress(body: Uint8Array, options: DecompressOptions = {}): DecompressResult {
  const maxOutputLength = options.maxOutputLength ?? DEFAULT_MAX_DECOMPRESSED_SIZE;
  const format = detectCompression(body);
  if (format === undefined) {
    return { ok: false, format, error: 'body is marked compressed but its format is not recognised' };
  }
  try {
    switch (format) {
      case 'gzip':
        return { ok: true, format, body: zlib.gunzipSync(body, { maxOutputLength }) };
      case 'zlib':
        return { ok: true, format, body: zlib.inflateSync(body, { maxOutputLength }) };
      case 'lz4':
        return { ok: true, format, body: lz4FrameDecompress(body, maxOutputLength) };
      case 'zstd': {
        const zstd = zstdDecoder();
        if (zstd === undefined) {
          return { ok: false, format, error: `zstd unsupported on this Node (${process.version})` };
        }
        // The decoder returns what it has for a truncated frame instead of failing: check the frames first.
        const frames = inspectZstdFrames(body);
        if (!frames.ok) return { ok: false, format, error: frames.error };
        const out = zstd(body, { maxOutputLength });
        if (frames.contentSize !== undefined && out.length !== frames.contentSize) {
          return {
            ok: false,
            format,
            error: `zstd decoded ${out.length} bytes where the frames declare ${frames.contentSize}`,
          };
        }
        return { ok: true, format, body: out };
      }
    }
  } catch (err) {
    return { ok: false, format, error: `${format} decompression failed: ${messageOf(err)}` };
  }
}

// ---------------------------------------------------------------------------------------------------
// xxHash32 (used by the LZ4 frame format for header, block and content checksums)
// ---------------------------------------------------------------------------------------------------

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
const read32 = (b: Uint8Array, i: number): number =>
  (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
const round = (acc: number, input: number): number =>
  Math.imul(rotl((acc + Math.imul(input, P2)) | 0, 13), P1);

/** xxHash32 of `data[start, end)` with `seed`, as an unsigned 32-bit number. */
export function xxh32(data: Uint8Array, seed = 0, start = 0, end = data.length): number {
  let p = start;
  const len = end - start;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const limit = end - 16;
    while (p <= limit) {
      v1 = round(v1, read32(data, p));
      v2 = round(v2, read32(data, p + 4));
      v3 = round(v3, read32(data, p + 8));
      v4 = round(v4, read32(data, p + 12));
      p += 16;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + len) | 0;
  while (p + 4 <= end) {
    h = Math.imul(rotl((h + Math.imul(read32(data, p), P3)) | 0, 17), P4);
    p += 4;
  }
  while (p < end) {
    h = Math.imul(rotl((h + Math.imul(data[p]!, P5)) | 0, 11), P1);
    p++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------------
// LZ4 frame format (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md) and block format
// (lz4_Block_format.md), decoder only.
// ---------------------------------------------------------------------------------------------------

/** A malformed LZ4 frame. */
export class Lz4FormatError extends Error {
  override name = 'Lz4FormatError';
}

/** Growable output buffer with a hard size limit. */
class Output {
  buf: Uint8Array;
  pos = 0;
  constructor(
    initial: number,
    readonly max: number,
  ) {
    this.buf = new Uint8Array(Math.max(16, Math.min(initial, max)));
  }
  reserve(n: number): void {
    const need = this.pos + n;
    if (need > this.max) throw new Lz4FormatError(`decompressed size exceeds the limit of ${this.max} bytes`);
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(Math.min(size, this.max));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }
}

function need(src: Uint8Array, pos: number, n: number, what: string): void {
  if (pos + n > src.length) throw new Lz4FormatError(`truncated LZ4 frame (${what})`);
}

/**
 * Decodes one LZ4 block `src[start, end)` into `out`. Matches may reach back to `windowStart` (the block
 * start for independent blocks, the frame start for linked ones).
 */
function decodeBlock(src: Uint8Array, start: number, end: number, out: Output, windowStart: number): void {
  let s = start;
  for (;;) {
    if (s >= end) throw new Lz4FormatError('LZ4 block ends inside a sequence');
    const token = src[s++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (s >= end) throw new Lz4FormatError('LZ4 block ends inside a literal length');
        b = src[s++]!;
        literals += b;
      } while (b === 255);
    }
    if (s + literals > end) throw new Lz4FormatError('LZ4 literals run past the end of the block');
    out.reserve(literals);
    out.buf.set(src.subarray(s, s + literals), out.pos);
    out.pos += literals;
    s += literals;
    if (s === end) return; // the last sequence has literals only
    if (s + 2 > end) throw new Lz4FormatError('LZ4 block ends inside a match offset');
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > out.pos - windowStart) {
      throw new Lz4FormatError(`invalid LZ4 match offset ${offset}`);
    }
    let length = (token & 0x0f) + 4;
    if ((token & 0x0f) === 15) {
      let b: number;
      do {
        if (s >= end) throw new Lz4FormatError('LZ4 block ends inside a match length');
        b = src[s++]!;
        length += b;
      } while (b === 255);
    }
    out.reserve(length);
    const buf = out.buf;
    let from = out.pos - offset;
    let to = out.pos;
    if (offset >= length) {
      buf.copyWithin(to, from, from + length);
    } else {
      // Overlapping match: copy byte by byte so the repeated pattern propagates.
      for (let i = 0; i < length; i++) buf[to++] = buf[from++]!;
    }
    out.pos += length;
  }
}

/** Decodes one frame whose magic ended at `pos`; returns the position after the frame. */
function decodeFrame(src: Uint8Array, pos: number, out: Output): number {
  need(src, pos, 2, 'frame descriptor');
  const descStart = pos;
  const flg = src[pos]!;
  const bd = src[pos + 1]!;
  pos += 2;
  if (flg >> 6 !== 1) throw new Lz4FormatError(`unsupported LZ4 frame version ${flg >> 6}`);
  if (flg & 0x02) throw new Lz4FormatError('reserved bit set in LZ4 frame flags');
  if (bd & 0x8f) throw new Lz4FormatError('reserved bits set in LZ4 block descriptor');
  const independent = (flg & 0x20) !== 0;
  const blockChecksum = (flg & 0x10) !== 0;
  const hasContentSize = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  const hasDictId = (flg & 0x01) !== 0;
  const sizeCode = (bd >> 4) & 0x07;
  if (sizeCode < 4) throw new Lz4FormatError(`invalid LZ4 block maximum size code ${sizeCode}`);
  const blockMax = 1 << (2 * sizeCode + 8);

  let contentSize: number | undefined;
  if (hasContentSize) {
    need(src, pos, 8, 'content size');
    const low = read32(src, pos);
    const high = read32(src, pos + 4);
    contentSize = high * 2 ** 32 + low;
    if (contentSize > out.max - out.pos) {
      throw new Lz4FormatError(`LZ4 content size ${contentSize} exceeds the limit of ${out.max} bytes`);
    }
    pos += 8;
  }
  if (hasDictId) throw new Lz4FormatError('LZ4 frames that need a dictionary are not supported');
  need(src, pos, 1, 'header checksum');
  const headerChecksum = (xxh32(src, 0, descStart, pos) >>> 8) & 0xff;
  if (src[pos] !== headerChecksum) throw new Lz4FormatError('LZ4 frame header checksum mismatch');
  pos += 1;

  if (contentSize !== undefined) out.reserve(contentSize);
  const frameStart = out.pos;
  for (;;) {
    need(src, pos, 4, 'block size');
    const word = read32(src, pos);
    pos += 4;
    if (word === 0) break; // EndMark
    const uncompressed = (word & 0x80000000) !== 0;
    const size = word & 0x7fffffff;
    if (size > blockMax)
      throw new Lz4FormatError(`LZ4 block of ${size} bytes exceeds the frame's ${blockMax}`);
    need(src, pos, size + (blockChecksum ? 4 : 0), 'block data');
    if (blockChecksum && xxh32(src, 0, pos, pos + size) !== read32(src, pos + size)) {
      throw new Lz4FormatError('LZ4 block checksum mismatch');
    }
    const blockStart = out.pos;
    if (uncompressed) {
      out.reserve(size);
      out.buf.set(src.subarray(pos, pos + size), out.pos);
      out.pos += size;
    } else {
      decodeBlock(src, pos, pos + size, out, independent ? blockStart : frameStart);
      if (out.pos - blockStart > blockMax) {
        throw new Lz4FormatError(`LZ4 block decodes to more than the frame's ${blockMax} bytes`);
      }
    }
    pos += size + (blockChecksum ? 4 : 0);
  }
  if (contentChecksum) {
    need(src, pos, 4, 'content checksum');
    if (xxh32(out.buf, 0, frameStart, out.pos) !== read32(src, pos)) {
      throw new Lz4FormatError('LZ4 content checksum mismatch');
    }
    pos += 4;
  }
  if (contentSize !== undefined && out.pos - frameStart !== contentSize) {
    throw new Lz4FormatError(
      `LZ4 frame decoded to ${out.pos - frameStart} bytes, header says ${contentSize}`,
    );
  }
  return pos;
}

/**
 * Decodes LZ4 frame-format data (one or more concatenated frames; skippable frames are skipped).
 * Header, block and content checksums are verified when present. Frames needing a dictionary are not
 * supported.
 *
 * @throws Lz4FormatError on malformed, truncated or oversized input.
 */
export function lz4FrameDecompress(src: Uint8Array, maxOutputLength = DEFAULT_MAX_DECOMPRESSED_SIZE): Buffer {
  const out = new Output(src.length * 4, maxOutputLength);
  let pos = 0;
  let frames = 0;
  while (pos < src.length) {
    need(src, pos, 4, 'magic number');
    const magic = read32(src, pos);
    pos += 4;
    if (magic === LZ4_FRAME_MAGIC) {
      pos = decodeFrame(src, pos, out);
      frames++;
    } else if ((magic & LZ4_SKIPPABLE_MASK) >>> 0 === LZ4_SKIPPABLE_MAGIC) {
      need(src, pos, 4, 'skippable frame size');
      const size = read32(src, pos);
      pos += 4;
      need(src, pos, size, 'skippable frame');
      pos += size;
    } else {
      throw new Lz4FormatError(`unexpected bytes at offset ${pos - 4} (not an LZ4 frame)`);
    }
  }
  if (frames === 0) throw new Lz4FormatError('no LZ4 frame found');
  return Buffer.from(out.buf.buffer, out.buf.byteOffset, out.pos);
}
