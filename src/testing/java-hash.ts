/**
 * The two hash functions the Apache proxy uses to place a FIFO message group on a queue:
 * Java `String.hashCode()` and Guava `Hashing.consistentHash(long, int)`.
 *
 * @packageDocumentation
 */

/** Java `String.hashCode()`: `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 code units, as a signed 32-bit int. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

const MASK64 = (1n << 64n) - 1n;
const LCG_MULTIPLIER = 2862933555777941757n;

/**
 * Guava `Hashing.consistentHash(long input, int buckets)`: a bucket in `[0, buckets)` that moves for as few
 * inputs as possible when `buckets` grows.
 *
 * @throws RangeError when `buckets` is not a positive integer.
 */
export function guavaConsistentHash(input: number | bigint, buckets: number): number {
  if (!Number.isInteger(buckets) || buckets <= 0) {
    throw new RangeError(`buckets must be a positive integer, got ${buckets}`);
  }
  let state = BigInt.asUintN(64, BigInt(input));
  const nextDouble = (): number => {
    state = (LCG_MULTIPLIER * state + 1n) & MASK64;
    // (int) (state >>> 33): a 31-bit non-negative value.
    return (Number(state >> 33n) + 1) / 0x80000000;
  };
  let candidate = 0;
  for (;;) {
    const raw = (candidate + 1) / nextDouble();
    // Java's (int) cast of a double saturates at Integer.MAX_VALUE.
    const next = raw >= 2147483647 ? 2147483647 : Math.trunc(raw);
    if (next >= 0 && next < buckets) candidate = next;
    else return candidate;
  }
}

/** The queue index the Apache proxy picks for a single-message send with a message group. */
export function fifoQueueIndex(messageGroup: string, queueCount: number): number {
  return guavaConsistentHash(javaStringHashCode(messageGroup), queueCount);
}
