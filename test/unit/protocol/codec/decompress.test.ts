/**
 * Decompression against fixtures made by independent tools (see test/fixtures/{lz4,compression}/
 * generate.sh: the lz4 and zstd reference CLIs, GNU gzip, CPython zlib). Originals are checked by the
 * SHA-256 and length the generator recorded.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  decompress,
  detectCompression,
  isZstdSupported,
  Lz4FormatError,
  lz4FrameDecompress,
  xxh32,
} from '../../../../src/protocol/codec/decompress.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'fixtures');
const lz4Fixture = (name: string): Buffer => readFileSync(join(FIXTURES, 'lz4', name));
const compressionFixture = (name: string): Buffer => readFileSync(join(FIXTURES, 'compression', name));
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

interface ManifestEntry {
  sha256: string;
  length: number;
  lz4Options: string;
}
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'lz4', 'manifest.json'), 'utf8')) as Record<
  string,
  ManifestEntry
>;

describe('detectCompression', () => {
  const CASES: Array<[string, number[], ReturnType<typeof detectCompression>]> = [
    ['gzip', [0x1f, 0x8b, 0x08], 'gzip'],
    ['zlib default', [0x78, 0x9c], 'zlib'],
    ['zlib fastest', [0x78, 0x01], 'zlib'],
    ['zlib best', [0x78, 0xda], 'zlib'],
    ['zlib small window', [0x48, 0x89], 'zlib'],
    ['lz4 frame', [0x04, 0x22, 0x4d, 0x18, 0x64], 'lz4'],
    ['zstd', [0x28, 0xb5, 0x2f, 0xfd, 0x00], 'zstd'],
    ['plain text "xyz"', [0x78, 0x79, 0x7a], undefined],
    ['plain JSON', [0x7b, 0x22], undefined],
    ['one byte', [0x1f], undefined],
    ['empty', [], undefined],
  ];
  for (const [name, bytes, expected] of CASES) {
    test(`${name} → ${String(expected)}`, () =>
      assert.equal(detectCompression(Uint8Array.from(bytes)), expected));
  }
});

describe('gzip and zlib (fixtures from GNU gzip and CPython zlib)', () => {
  const original = compressionFixture('body.txt');

  test('the original is the one the generator wrote', () => {
    // sha256sum test/fixtures/compression/body.txt
    assert.equal(sha256(original), '98cd2b0e1412b3f65beab07affa643d02a69767ccc2cfcfd15bc2ee6a66f0072');
  });

  for (const [file, format] of [
    ['body.txt.gz', 'gzip'],
    ['body.txt.zlib', 'zlib'],
    ['body.txt.zlib1', 'zlib'],
  ] as const) {
    test(`${file} → ${format}`, () => {
      const result = decompress(compressionFixture(file));
      assert.ok(result.ok, result.ok ? '' : result.error);
      assert.equal(result.format, format);
      assert.deepEqual(result.body, original);
    });
  }

  test('gzip magic with garbage → failure, not an exception', () => {
    const result = decompress(Uint8Array.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]));
    assert.equal(result.ok, false);
    assert.equal(result.format, 'gzip');
    assert.match(result.ok ? '' : result.error, /^gzip decompression failed/);
  });

  test('truncated zlib stream → failure', () => {
    const data = compressionFixture('body.txt.zlib');
    const result = decompress(data.subarray(0, data.length - 6));
    assert.equal(result.ok, false);
  });

  test('output bounded by maxOutputLength (decompression bomb)', () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    assert.ok(bomb.length < 64 * 1024);
    const result = decompress(bomb, { maxOutputLength: 1024 * 1024 });
    assert.equal(result.ok, false);
    assert.equal(decompress(bomb, { maxOutputLength: 8 * 1024 * 1024 }).ok, true);
  });

  test('unknown magic → failure with format undefined', () => {
    const result = decompress(Buffer.from('not compressed at all'));
    assert.deepEqual(result, {
      ok: false,
      format: undefined,
      error: 'body is marked compressed but its format is not recognised',
    });
  });
});

describe('xxh32', () => {
  // printf '%s' '<input>' | xxhsum -H32   (xxhsum 0.8.1)
  const VECTORS: Array<[string, number]> = [
    ['', 0x02cc5d05],
    ['a', 0x550d7456],
    ['abc', 0x32d153ff],
    ['Nobody inspects the spammish repetition', 0xe2293b2f],
  ];
  for (const [input, expected] of VECTORS) {
    test(`"${input}"`, () => assert.equal(xxh32(Buffer.from(input)), expected));
  }
  test('100 bytes (16-byte stripes): head -c 100 body.txt | xxhsum -H32', () => {
    assert.equal(xxh32(compressionFixture('body.txt').subarray(0, 100)), 0xb043892b);
  });
  test('sub-range equals hashing the slice', () => {
    const data = compressionFixture('body.txt');
    assert.equal(xxh32(data, 0, 7, 107), xxh32(data.subarray(7, 107)));
  });
});

describe('LZ4 frame decoder (fixtures from the lz4 1.9.4 CLI)', () => {
  for (const [file, entry] of Object.entries(manifest)) {
    test(`${file} (lz4 ${entry.lz4Options})`, () => {
      const frame = lz4Fixture(file);
      assert.equal(detectCompression(frame), 'lz4');
      const out = lz4FrameDecompress(frame);
      assert.equal(out.length, entry.length);
      assert.equal(sha256(out), entry.sha256);
      const viaDecompress = decompress(frame);
      assert.ok(viaDecompress.ok);
      assert.equal(viaDecompress.format, 'lz4');
      assert.equal(sha256(viaDecompress.body), entry.sha256);
    });
  }

  test('small.lz4 decodes to small.txt byte for byte', () => {
    assert.deepEqual(lz4FrameDecompress(lz4Fixture('small.lz4')), lz4Fixture('small.txt'));
  });

  test('random.lz4 really holds an uncompressed block (high bit of the block size)', () => {
    const frame = lz4Fixture('random.lz4');
    // magic(4) FLG BD HC → first block size word at offset 7.
    assert.equal(frame[4]! & 0x08, 0, 'no content size in this frame');
    assert.ok((frame.readUInt32LE(7) & 0x80000000) !== 0);
    assert.deepEqual(lz4FrameDecompress(frame), lz4Fixture('random.bin'));
  });

  test('the multi-block fixtures hold more than one block', () => {
    // 126000 bytes in 64 KiB blocks → 2 blocks at least; count the block headers.
    const frame = lz4Fixture('multiblock-indep.lz4');
    let pos = 7;
    let blocks = 0;
    for (;;) {
      const word = frame.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      pos += word & 0x7fffffff;
      blocks++;
    }
    assert.ok(blocks >= 2, `${blocks} block(s)`);
  });

  test('flags recorded in the fixtures are the ones intended', () => {
    const flg = (name: string) => lz4Fixture(name)[4]!;
    assert.equal(flg('multiblock-indep.lz4') & 0x20, 0x20, 'independent blocks');
    assert.equal(flg('multiblock-linked.lz4') & 0x20, 0, 'linked blocks');
    assert.equal(flg('multiblock-blockcrc.lz4') & 0x10, 0x10, 'block checksums');
    assert.equal(flg('multiblock-size-nocrc.lz4') & 0x0c, 0x08, 'content size, no content checksum');
    assert.equal(flg('runs-hc.lz4') & 0x3c, 0x1c, 'linked + block checksum + size + content checksum');
  });

  const failsWith = (data: Uint8Array, pattern: RegExp, max?: number) =>
    assert.throws(
      () => lz4FrameDecompress(data, max),
      (e: unknown) => e instanceof Lz4FormatError && pattern.test(e.message),
    );

  test('a flipped byte in the data is caught by the content checksum', () => {
    const frame = Buffer.from(lz4Fixture('multiblock-indep.lz4'));
    frame[frame.length - 100]! ^= 0x01;
    assert.throws(() => lz4FrameDecompress(frame), Lz4FormatError);
  });

  test('a flipped literal is caught by the block checksum', () => {
    const frame = Buffer.from(lz4Fixture('multiblock-blockcrc.lz4'));
    frame[20]! ^= 0x01;
    failsWith(frame, /block checksum mismatch/);
  });

  test('a flipped descriptor bit is caught by the header checksum', () => {
    const frame = Buffer.from(lz4Fixture('small.lz4'));
    frame[4]! ^= 0x10; // toggle the block-checksum flag
    failsWith(frame, /header checksum/);
  });

  test('truncated frames fail', () => {
    const frame = lz4Fixture('multiblock-indep.lz4');
    for (const cut of [3, 6, 10, 500, frame.length - 5, frame.length - 1]) {
      assert.throws(() => lz4FrameDecompress(frame.subarray(0, cut)), Lz4FormatError, `cut at ${cut}`);
    }
  });

  test('trailing garbage after a frame fails', () => {
    failsWith(Buffer.concat([lz4Fixture('small.lz4'), Buffer.from('junk')]), /not an LZ4 frame/);
  });

  test('skippable frames are skipped', () => {
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
    const out = lz4FrameDecompress(Buffer.concat([skippable, lz4Fixture('small.lz4')]));
    assert.deepEqual(out, lz4Fixture('small.txt'));
  });

  test('output limit: checked while decoding and from the declared content size', () => {
    failsWith(lz4Fixture('multiblock-indep.lz4'), /exceeds the limit/, 10_000);
    failsWith(lz4Fixture('multiblock-size-nocrc.lz4'), /content size 126000 exceeds/, 10_000);
    const result = decompress(lz4Fixture('multiblock-indep.lz4'), { maxOutputLength: 10_000 });
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.error, /^lz4 decompression failed/);
  });

  test('hand-made block: overlapping match and an invalid offset', () => {
    // Frame: FLG 0x60 (v01, independent), BD 0x40 (64 KiB), HC; one compressed block; EndMark.
    const frame = (block: number[]) => {
      const desc = Buffer.from([0x60, 0x40]);
      const hc = (xxh32(desc) >>> 8) & 0xff;
      const size = Buffer.alloc(4);
      size.writeUInt32LE(block.length);
      return Buffer.concat([
        Buffer.from([0x04, 0x22, 0x4d, 0x18]),
        desc,
        Buffer.from([hc]),
        size,
        Buffer.from(block),
        Buffer.alloc(4),
      ]);
    };
    // token 0x15: 1 literal "a", match length 5+4 = 9 at offset 1; then a last sequence of 1 literal "b".
    assert.equal(
      lz4FrameDecompress(frame([0x15, 0x61, 0x01, 0x00, 0x10, 0x62])).toString(),
      `${'a'.repeat(10)}b`,
    );
    // Offset 2 reaches before the start of the block.
    failsWith(frame([0x15, 0x61, 0x02, 0x00, 0x10, 0x62]), /invalid LZ4 match offset 2/);
    // Offset 0 is never valid.
    failsWith(frame([0x15, 0x61, 0x00, 0x00, 0x10, 0x62]), /invalid LZ4 match offset 0/);
  });

  test('dictionary frames and bad versions are refused', () => {
    const frame = Buffer.from(lz4Fixture('small.lz4'));
    frame[4] = (frame[4]! & 0x3f) | 0x80; // version 10
    failsWith(frame, /unsupported LZ4 frame version/);
    const dict = Buffer.from(lz4Fixture('small.lz4'));
    dict[4]! |= 0x01;
    failsWith(dict, /dictionary/);
  });
});

describe('zstd (fixture from the zstd 1.5.4 CLI)', () => {
  const frame = compressionFixture('body.txt.zst');

  test('detected by magic', () => assert.equal(detectCompression(frame), 'zstd'));

  test('decoded when the running Node has zlib.zstdDecompressSync', {
    skip: isZstdSupported() ? false : `Node ${process.version} has no zstd (needs ≥ 22.15 / 23.8)`,
  }, () => {
    const result = decompress(frame);
    assert.ok(result.ok, result.ok ? '' : result.error);
    assert.deepEqual(result.body, compressionFixture('body.txt'));
  });

  test('reported unsupported on a Node without zstd', {
    skip: isZstdSupported() ? `Node ${process.version} supports zstd` : false,
  }, () => {
    const result = decompress(frame);
    assert.equal(result.ok, false);
    assert.equal(result.format, 'zstd');
    assert.match(result.ok ? '' : result.error, /^zstd unsupported on this Node/);
  });
});
