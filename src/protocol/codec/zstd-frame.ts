/**
 * Structural check of Zstandard data (RFC 8878 §3.1): one or more frames, each complete.
 *
 * `zlib.zstdDecompressSync` (Node ≥ 22.15 / 23.8) does not fail on a truncated frame: it returns what it
 * decoded so far, often nothing. A body cut short on the way would then be handed over as an empty or
 * partial body. This walk over the frame and block headers finds truncation (and trailing bytes) without
 * decoding, and sums the declared content sizes so the decoded length can be checked too.
 */

/** What {@link inspectZstdFrames} found. */
export type ZstdFrames =
  | {
      readonly ok: true /** Sum of the frames' Frame_Content_Size, when every frame declares one. */;
      readonly contentSize: number | undefined;
    }
  | { readonly ok: false; readonly error: string };

const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames: magic 0x184D2A50 … 0x184D2A5F. */
const SKIPPABLE_MAGIC = 0x184d2a50;

function u32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/** Little-endian unsigned of `n` bytes (n ≤ 8; exact below 2^53, which bounds any body we accept). */
function uint(b: Uint8Array, i: number, n: number): number {
  let v = 0;
  for (let k = n - 1; k >= 0; k--) v = v * 256 + b[i + k]!;
  return v;
}

/** Checks that `body` is a sequence of complete Zstandard (or skippable) frames. Never throws. */
export function inspectZstdFrames(body: Uint8Array): ZstdFrames {
  let pos = 0;
  let contentSize: number | undefined = 0;
  let frames = 0;
  const truncated = (what: string): ZstdFrames => ({
    ok: false,
    error: `zstd data truncated (${what} of frame ${frames + 1} missing at byte ${pos} of ${body.length})`,
  });
  while (pos < body.length) {
    if (body.length - pos < 4) return truncated('magic number');
    const magic = u32(body, pos);
    if ((magic & 0xfffffff0) >>> 0 === SKIPPABLE_MAGIC) {
      if (body.length - pos < 8) return truncated('skippable frame size');
      const size = u32(body, pos + 4);
      if (body.length - pos - 8 < size) return truncated('skippable frame data');
      pos += 8 + size;
      frames++;
      continue;
    }
    if (magic !== ZSTD_MAGIC) {
      return {
        ok: false,
        error: `zstd data has ${body.length - pos} bytes after frame ${frames} that are not a frame`,
      };
    }
    pos += 4;
    if (pos >= body.length) return truncated('frame header');
    const fhd = body[pos]!;
    const fcsFlag = fhd >> 6;
    const singleSegment = (fhd & 0x20) !== 0;
    if ((fhd & 0x08) !== 0) return { ok: false, error: 'zstd frame header has its reserved bit set' };
    const checksum = (fhd & 0x04) !== 0;
    const dictIdSize = [0, 1, 2, 4][fhd & 0x03]!;
    const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
    const headerSize = 1 + (singleSegment ? 0 : 1) + dictIdSize + fcsSize;
    if (body.length - pos < headerSize) return truncated('frame header');
    if (fcsSize === 0) contentSize = undefined;
    else if (contentSize !== undefined) {
      const fcs = uint(body, pos + headerSize - fcsSize, fcsSize);
      contentSize += fcsSize === 2 ? fcs + 256 : fcs;
    }
    pos += headerSize;
    for (;;) {
      if (body.length - pos < 3) return truncated('block header');
      const header = uint(body, pos, 3);
      const last = (header & 1) === 1;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === 3) return { ok: false, error: 'zstd block of the reserved type' };
      const dataSize = type === 1 ? 1 : size; // RLE: one byte repeated `size` times
      pos += 3;
      if (body.length - pos < dataSize) return truncated('block data');
      pos += dataSize;
      if (last) break;
    }
    if (checksum) {
      if (body.length - pos < 4) return truncated('content checksum');
      pos += 4;
    }
    frames++;
  }
  if (frames === 0) return { ok: false, error: 'zstd data is empty' };
  return { ok: true, contentSize };
}
