/**
 * Body digests, checked over the body as received: CRC32, MD5 and SHA1, rendered as the Java SDK renders
 * them.
 *
 * - CRC-32/IEEE (the zlib / `java.util.zip.CRC32` polynomial) as uppercase hex **without** zero padding,
 *   like Java's `Long.toHexString(crc).toUpperCase()`;
 * - MD5 and SHA1 as uppercase hex (the Apache proxy sends MD5).
 *
 * @packageDocumentation
 */

import { createHash } from 'node:crypto';
import { type Digest, DigestType } from '../../gen/apache/rocketmq/v2/definition_pb.js';

/** Table for the reflected CRC-32/IEEE polynomial 0xEDB88320, built on first use. */
let crcTable: Uint32Array | undefined;

function table(): Uint32Array {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  return crcTable;
}

/**
 * CRC-32/IEEE of `data` as an unsigned 32-bit number (`crc32("123456789") === 0xCBF43926`).
 *
 * @param previous - CRC of the preceding bytes, to continue a running checksum.
 */
export function crc32(data: Uint8Array, previous = 0): number {
  const t = table();
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-32 as uppercase hex without leading zeros (Java `Long.toHexString` style), e.g. `'CBF43926'`. */
export function crc32Hex(data: Uint8Array): string {
  return crc32(data).toString(16).toUpperCase();
}

/** MD5 as 32 uppercase hex characters. */
export function md5Hex(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex').toUpperCase();
}

/** SHA-1 as 40 uppercase hex characters. */
export function sha1Hex(data: Uint8Array): string {
  return createHash('sha1').update(data).digest('hex').toUpperCase();
}

/** Outcome of {@link verifyDigest}. */
export type DigestVerdict =
  /** The checksum matches. */
  | { readonly status: 'ok' }
  /** The message carries no digest (or type `DIGEST_TYPE_UNSPECIFIED`): nothing to check. */
  | { readonly status: 'absent' }
  /** The checksum does not match: the body is corrupted. */
  | {
      readonly status: 'mismatch';
      readonly algorithm: 'CRC32' | 'MD5' | 'SHA1';
      readonly expected: string;
      readonly actual: string;
    }
  /** A digest type this version does not know; the body is not considered corrupted. */
  | { readonly status: 'unknown-type'; readonly type: number };

/**
 * Checks `body` (the bytes as received, before any decompression) against `digest`.
 *
 * Comparison ignores hex case; CRC32 is compared by value, so a zero-padded checksum also matches.
 */
export function verifyDigest(body: Uint8Array, digest: Digest | undefined): DigestVerdict {
  if (digest === undefined || digest.type === DigestType.DIGEST_TYPE_UNSPECIFIED) return { status: 'absent' };
  const expected = digest.checksum.trim();
  switch (digest.type) {
    case DigestType.CRC32: {
      const actual = crc32Hex(body);
      const ok = /^[0-9a-f]{1,8}$/i.test(expected) && Number.parseInt(expected, 16) === crc32(body);
      return ok ? { status: 'ok' } : { status: 'mismatch', algorithm: 'CRC32', expected, actual };
    }
    case DigestType.MD5: {
      const actual = md5Hex(body);
      return actual === expected.toUpperCase()
        ? { status: 'ok' }
        : { status: 'mismatch', algorithm: 'MD5', expected, actual };
    }
    case DigestType.SHA1: {
      const actual = sha1Hex(body);
      return actual === expected.toUpperCase()
        ? { status: 'ok' }
        : { status: 'mismatch', algorithm: 'SHA1', expected, actual };
    }
    default:
      return { status: 'unknown-type', type: digest.type };
  }
}
