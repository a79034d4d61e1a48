import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { DigestSchema, DigestType } from '../../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { crc32, crc32Hex, md5Hex, sha1Hex, verifyDigest } from '../../../../src/protocol/codec/digest.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const FOX = 'The quick brown fox jumps over the lazy dog';

describe('crc32 (CRC-32/IEEE, Java Long.toHexString style)', () => {
  // Expected values: python3 -c "import zlib; print(format(zlib.crc32(b'...'), 'X'))"
  test('check value of "123456789" is CBF43926', () => {
    assert.equal(crc32(b('123456789')), 0xcbf43926);
    assert.equal(crc32Hex(b('123456789')), 'CBF43926');
  });

  test('more vectors', () => {
    assert.equal(crc32Hex(b(FOX)), '414FA339');
    assert.equal(crc32Hex(b('')), '0');
  });

  test('no zero padding: crc32("msg-331") = 0x00696F49 → "696F49"', () => {
    assert.equal(crc32(b('msg-331')), 0x00696f49);
    assert.equal(crc32Hex(b('msg-331')), '696F49');
  });

  test('a running checksum continues across chunks', () => {
    assert.equal(crc32(b('56789'), crc32(b('1234'))), 0xcbf43926);
  });
});

describe('md5Hex / sha1Hex (uppercase)', () => {
  // printf '%s' '123456789' | openssl dgst -md5   → 25f9e794323b453885f5181f1b624d0b
  // printf '%s' '123456789' | openssl dgst -sha1  → f7c3bc1d808e04732adf679965ccc34ca7ae3441
  // printf '%s' "$FOX" | openssl dgst -md5         → 9e107d9d372bb6826bd81d3542a419d6
  // printf '%s' "$FOX" | openssl dgst -sha1        → 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12
  // printf '' | openssl dgst -md5 / -sha1          → d41d8cd98f00b204e9800998ecf8427e / da39a3ee5e6b4b0d3255bfef95601890afd80709
  const VECTORS: Array<[string, string, string]> = [
    ['123456789', '25F9E794323B453885F5181F1B624D0B', 'F7C3BC1D808E04732ADF679965CCC34CA7AE3441'],
    [FOX, '9E107D9D372BB6826BD81D3542A419D6', '2FD4E1C67A2D28FCED849EE1BB76E7391B93EB12'],
    ['', 'D41D8CD98F00B204E9800998ECF8427E', 'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709'],
  ];
  for (const [input, md5, sha1] of VECTORS) {
    test(`"${input.slice(0, 12)}"`, () => {
      assert.equal(md5Hex(b(input)), md5);
      assert.equal(sha1Hex(b(input)), sha1);
    });
  }
});

describe('verifyDigest', () => {
  const digest = (type: DigestType, checksum: string) => create(DigestSchema, { type, checksum });
  const body = b('123456789');

  test('matching MD5 / SHA1 / CRC32 → ok (hex case ignored, CRC32 padding tolerated)', () => {
    assert.deepEqual(verifyDigest(body, digest(DigestType.MD5, '25F9E794323B453885F5181F1B624D0B')), {
      status: 'ok',
    });
    assert.equal(verifyDigest(body, digest(DigestType.MD5, '25f9e794323b453885f5181f1b624d0b')).status, 'ok');
    assert.equal(
      verifyDigest(body, digest(DigestType.SHA1, 'F7C3BC1D808E04732ADF679965CCC34CA7AE3441')).status,
      'ok',
    );
    assert.equal(verifyDigest(body, digest(DigestType.CRC32, 'CBF43926')).status, 'ok');
    assert.equal(verifyDigest(b('msg-331'), digest(DigestType.CRC32, '00696F49')).status, 'ok');
    assert.equal(verifyDigest(b('msg-331'), digest(DigestType.CRC32, '696f49')).status, 'ok');
  });

  test('a wrong checksum → mismatch with both values', () => {
    assert.deepEqual(
      verifyDigest(b('12345678X'), digest(DigestType.MD5, '25F9E794323B453885F5181F1B624D0B')),
      {
        status: 'mismatch',
        algorithm: 'MD5',
        expected: '25F9E794323B453885F5181F1B624D0B',
        actual: md5Hex(b('12345678X')),
      },
    );
    assert.equal(verifyDigest(body, digest(DigestType.CRC32, 'CBF43927')).status, 'mismatch');
    assert.equal(verifyDigest(body, digest(DigestType.CRC32, 'not-hex')).status, 'mismatch');
    assert.equal(verifyDigest(body, digest(DigestType.SHA1, '')).status, 'mismatch');
  });

  test('no digest or UNSPECIFIED → absent; an unknown type → unknown-type', () => {
    assert.deepEqual(verifyDigest(body, undefined), { status: 'absent' });
    assert.deepEqual(verifyDigest(body, digest(DigestType.DIGEST_TYPE_UNSPECIFIED, 'x')), {
      status: 'absent',
    });
    assert.deepEqual(verifyDigest(body, digest(9 as DigestType, 'x')), { status: 'unknown-type', type: 9 });
  });
});
