/**
 * gRPC message framing over HTTP/2 for the fake broker: a 5-byte prefix (compressed flag + big-endian
 * length) before every protobuf message. The fake writes pre-framed bytes and reads requests with a
 * small incremental parser; nothing here allocates per byte.
 */

/** Frames one encoded message. */
export function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** Splits a byte stream into gRPC messages as chunks arrive. */
export class FrameReader {
  #pending: Buffer = Buffer.alloc(0);

  /** Feeds one chunk; returns the complete messages it finished (without prefixes). */
  push(chunk: Buffer): Buffer[] {
    const buf = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const out: Buffer[] = [];
    let offset = 0;
    while (buf.length - offset >= 5) {
      const length = buf.readUInt32BE(offset + 1);
      if (buf.length - offset - 5 < length) break;
      out.push(buf.subarray(offset + 5, offset + 5 + length));
      offset += 5 + length;
    }
    this.#pending = offset === buf.length ? Buffer.alloc(0) : buf.subarray(offset);
    return out;
  }
}

/**
 * Counts the occurrences of one length-delimited top-level field in an encoded message without decoding
 * it (used for the entries of an AckMessageRequest). Returns -1 for malformed input.
 */
export function countField(message: Uint8Array, fieldNumber: number): number {
  let offset = 0;
  let count = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (offset >= message.length) return -1;
      const b = message[offset++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (offset < message.length) {
    const tag = varint();
    if (tag < 0) return -1;
    const wire = tag & 7;
    if (wire === 2) {
      const len = varint();
      if (len < 0) return -1;
      offset += len;
      if (Math.floor(tag / 8) === fieldNumber) count++;
    } else if (wire === 0) {
      if (varint() < 0) return -1;
    } else if (wire === 1) offset += 8;
    else if (wire === 5) offset += 4;
    else return -1;
  }
  return offset === message.length ? count : -1;
}
