/**
 * The hand-written AckMessageRequest encoder against the reference (`buildAckRequest` + protobuf-es
 * `toBinary`): the same bytes over generated receipt lists (namespaces, lite topics, empty and
 * non-ASCII strings, long handles, up to 128 entries).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toBinary } from '@bufbuild/protobuf';
import { RocketMQError } from '../../../../src/errors.js';
import { AckMessageRequestSchema } from '../../../../src/gen/apache/rocketmq/v2/service_pb.js';
import type { ReceiptRef } from '../../../../src/protocol/ack-convert.js';
import { encodeAckMessageRequest } from '../../../../src/protocol/codec/ack-request-encoder.js';
import { buildAckRequest } from '../../../helpers/reference-encoders.js';

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['a', 'Z', '9', '_', '%', ' ', 'é', '中', '😀'];

test('encodeAckMessageRequest writes the same bytes as buildAckRequest + toBinary', () => {
  const rand = prng(42);
  const int = (max: number) => Math.floor(rand() * max);
  const str = (max: number) =>
    Array.from({ length: int(max + 1) }, () => ALPHABET[int(ALPHABET.length)]).join('');
  for (let i = 0; i < 1_000; i++) {
    const base = { group: str(20), topic: str(30), ...(rand() < 0.5 ? { namespace: str(8) } : {}) };
    const refs: ReceiptRef[] = Array.from({ length: 1 + int(128) }, () => ({
      ...base,
      messageId: rand() < 0.05 ? '' : `01${str(32)}`,
      receiptHandle: rand() < 0.05 ? '' : str(rand() < 0.2 ? 400 : 120),
      ...(rand() < 0.2 ? { liteTopic: str(10) } : {}),
    }));
    const ours = encodeAckMessageRequest(refs);
    const ref = Buffer.from(toBinary(AckMessageRequestSchema, buildAckRequest(refs)));
    assert.ok(ref.equals(ours), `request ${i} differs: ${ours.length} vs ${ref.length} bytes`);
  }
});

test('an empty list is refused like the reference', () => {
  assert.throws(
    () => encodeAckMessageRequest([]),
    (e: unknown) => e instanceof RocketMQError && e.code === 'INVALID_ARGUMENT',
  );
});
