/**
 * SipHash-2-4 (Aumasson & Bernstein) over bytes with a 128-bit key, as used to pin a FIFO message group
 * to one queue, as the Java SDK does with Guava `Hashing.sipHash24()` and key bytes `00 01 … 0F`.
 *
 * BigInt arithmetic, masked to 64 bits; only short inputs (message groups < 64 bytes) are hashed, so
 * speed does not matter.
 *
 * @packageDocumentation
 */

const MASK = (1n << 64n) - 1n;

/** The Java SDK's FIFO key: bytes 00..0F read little-endian. */
export const FIFO_KEY0 = 0x0706050403020100n;
export const FIFO_KEY1 = 0x0f0e0d0c0b0a0908n;

const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & MASK;

function readU64le(bytes: Uint8Array, offset: number): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i]!);
  return v;
}

/** SipHash-2-4 of `data` with key (`k0`, `k1`), as an unsigned 64-bit value. */
export function sipHash24(data: Uint8Array, k0: bigint = FIFO_KEY0, k1: bigint = FIFO_KEY1): bigint {
  let v0 = 0x736f6d6570736575n ^ k0;
  let v1 = 0x646f72616e646f6dn ^ k1;
  let v2 = 0x6c7967656e657261n ^ k0;
  let v3 = 0x7465646279746573n ^ k1;
  const round = (): void => {
    v0 = (v0 + v1) & MASK;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & MASK;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & MASK;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const len = data.length;
  const end = len - (len % 8);
  for (let i = 0; i < end; i += 8) {
    const m = readU64le(data, i);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  let last = BigInt(len & 0xff) << 56n;
  for (let i = len - 1; i >= end; i--) last |= BigInt(data[i]!) << BigInt(8 * (i - end));
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xffn;
  round();
  round();
  round();
  round();
  return (v0 ^ v1 ^ v2 ^ v3) & MASK;
}

/** The hash read as a two's-complement signed 64-bit integer (Guava `HashCode.asLong()`). */
export function toSigned64(value: bigint): bigint {
  return BigInt.asIntN(64, value);
}

/**
 * Index of the queue a FIFO message group is pinned to among `count` candidates:
 * `floorMod(signed64(SipHash-2-4(utf8(group))), count)`.
 */
export function fifoQueueIndex(group: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be ≥ 1, got ${count}`);
  const h = toSigned64(sipHash24(Buffer.from(group, 'utf8')));
  const n = BigInt(count);
  return Number(((h % n) + n) % n);
}
