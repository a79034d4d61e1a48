/**
 * The Zstandard frame walk that guards `zlib.zstdDecompressSync`, which returns an empty or partial
 * output for a truncated frame instead of failing (seen on Node 22.23 and 24.22). Runs on every Node:
 * it only reads headers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decompress, isZstdSupported } from '../../../../src/protocol/codec/decompress.js';
import { inspectZstdFrames } from '../../../../src/protocol/codec/zstd-frame.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'compression');
const frame = readFileSync(join(FIXTURES, 'body.txt.zst')); // zstd 1.5.4 CLI, -19, with a checksum
const original = readFileSync(join(FIXTURES, 'body.txt'));

/** A frame built by hand: single segment, 1-byte content size, one raw block, no checksum. */
function rawFrame(text: string): Buffer {
  const data = Buffer.from(text);
  const blockHeader = 1 | (0 << 1) | (data.length << 3); // last, raw
  return Buffer.concat([
    Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, data.length]),
    Buffer.from([blockHeader & 0xff, (blockHeader >> 8) & 0xff, blockHeader >> 16]),
    data,
  ]);
}

/** One RLE block: `count` copies of `byte`, no content size. */
function rleFrame(byte: number, count: number): Buffer {
  const blockHeader = 1 | (1 << 1) | (count << 3); // last, RLE
  return Buffer.from([
    0x28,
    0xb5,
    0x2f,
    0xfd,
    0x00,
    0x50, // no single segment: a window descriptor follows
    blockHeader & 0xff,
    (blockHeader >> 8) & 0xff,
    blockHeader >> 16,
    byte,
  ]);
}

describe('inspectZstdFrames', () => {
  test('the CLI fixture is one complete frame declaring the original length', () => {
    assert.deepEqual(inspectZstdFrames(frame), { ok: true, contentSize: original.length });
  });

  test('every truncation of the fixture is reported as truncated', () => {
    for (let n = 0; n < frame.length; n++) {
      const r = inspectZstdFrames(frame.subarray(0, n));
      assert.equal(r.ok, false, `cut at ${n} of ${frame.length}`);
      assert.match(r.ok ? '' : r.error, n === 0 ? /empty/ : /truncated/);
    }
  });

  test('concatenated frames add up; trailing bytes that are no frame are refused', () => {
    assert.deepEqual(inspectZstdFrames(Buffer.concat([frame, rawFrame('abc')])), {
      ok: true,
      contentSize: original.length + 3,
    });
    const trailing = inspectZstdFrames(Buffer.concat([frame, Buffer.from([1, 2, 3, 4, 5])]));
    assert.match(trailing.ok ? '' : trailing.error, /not a frame/);
  });

  test('raw and RLE blocks, skippable frames, frames without a content size', () => {
    assert.deepEqual(inspectZstdFrames(rawFrame('hello')), { ok: true, contentSize: 5 });
    assert.deepEqual(inspectZstdFrames(rleFrame(0x61, 40)), { ok: true, contentSize: undefined });
    const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 9, 9]);
    assert.deepEqual(inspectZstdFrames(Buffer.concat([skippable, rawFrame('x')])), {
      ok: true,
      contentSize: 1,
    });
    assert.equal(inspectZstdFrames(skippable.subarray(0, 9)).ok, false);
    assert.equal(inspectZstdFrames(rleFrame(0x61, 40).subarray(0, 9)).ok, false);
  });

  test('the reserved header bit and the reserved block type are refused', () => {
    const reserved = rawFrame('hi');
    reserved[4]! |= 0x08;
    assert.match(inspectZstdFrames(reserved).ok ? '' : 'x', /x/);
    const badBlock = rawFrame('hi');
    badBlock[6]! |= 0x06; // type 3
    assert.equal(inspectZstdFrames(badBlock).ok, false);
  });
});

describe('decompress: zstd that the decoder would not refuse', () => {
  test('a truncated zstd body fails instead of decoding to an empty or partial body', () => {
    for (const n of [5, 6, 20, frame.length - 4, frame.length - 1]) {
      const r = decompress(frame.subarray(0, n));
      assert.equal(r.ok, false, `cut at ${n}`);
      // Without zstd the error says so; with it, the frame walk names the truncation.
      assert.match(r.ok ? '' : r.error, isZstdSupported() ? /truncated/ : /unsupported/);
    }
  });

  test('hand-built raw and RLE frames decode where zstd is available', {
    skip: !isZstdSupported() && `Node ${process.version} has no zstd`,
  }, () => {
    const raw = decompress(rawFrame('hello'));
    assert.ok(raw.ok, raw.ok ? '' : raw.error);
    assert.equal(raw.body.toString(), 'hello');
    const rle = decompress(rleFrame(0x61, 40));
    assert.ok(rle.ok, rle.ok ? '' : rle.error);
    assert.equal(rle.body.toString(), 'a'.repeat(40));
  });
});
