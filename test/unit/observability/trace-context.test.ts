import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { RocketMQError } from '../../../src/errors.js';
import { errorType } from '../../../src/observability/messaging-attributes.js';
import {
  parseTraceparent,
  remoteContext,
  traceIdPropertiesSpanContext,
} from '../../../src/observability/trace-context.js';

const T = '0af7651916cd43dd8448eb211c80319c';
const S = 'b7ad6b7169203331';

describe('trace context of received messages (observability/trace-context.ts)', () => {
  test('parseTraceparent accepts W3C values only', () => {
    assert.deepEqual(parseTraceparent(`00-${T}-${S}-01`), {
      traceId: T,
      spanId: S,
      traceFlags: 1,
      isRemote: true,
    });
    assert.equal(parseTraceparent(`00-${T}-${S}-00`)?.traceFlags, 0);
    assert.equal(parseTraceparent(`01-${T}-${S}-01-future`)?.spanId, S, 'later versions may add fields');
    for (const bad of [
      undefined,
      '',
      `00-${T}-${S}-01-extra`, // version 00 has exactly four fields
      `ff-${T}-${S}-01`,
      `00-${'0'.repeat(32)}-${S}-01`,
      `00-${T}-${'0'.repeat(16)}-01`,
      `00-${T.toUpperCase()}-${S}-01`,
      `00-${T}-${S}`,
    ]) {
      assert.equal(parseTraceparent(bad), undefined, String(bad));
    }
  });

  test('seed ids: both needed, normalised to lowercase, marked sampled and remote', () => {
    assert.deepEqual(traceIdPropertiesSpanContext({ 'x-trace-id': T.toUpperCase(), 'x-span-id': ` ${S} ` }), {
      traceId: T,
      spanId: S,
      traceFlags: 1,
      isRemote: true,
    });
    assert.equal(traceIdPropertiesSpanContext({ 'x-trace-id': T }), undefined);
    assert.equal(traceIdPropertiesSpanContext({ 'x-trace-id': 'trace-1', 'x-span-id': 'span-1' }), undefined);
  });

  test('without a propagator: traceparent property, then system trace context, then x-trace-id', () => {
    const other = `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`;
    const seed = { 'x-trace-id': '3'.repeat(32), 'x-span-id': '4'.repeat(16) };
    const of = (carrier: Parameters<typeof remoteContext>[0]) => trace.getSpanContext(remoteContext(carrier));
    assert.equal(
      of({ properties: { traceparent: `00-${T}-${S}-01`, ...seed }, traceContext: other })?.spanId,
      S,
    );
    assert.equal(of({ properties: seed, traceContext: other })?.spanId, '2'.repeat(16));
    assert.equal(of({ properties: { traceparent: 'garbage', ...seed } })?.spanId, '4'.repeat(16));
    assert.equal(of({ properties: {} }), undefined, 'no context: a new trace');
    assert.equal(of({ properties: { constructor: 'x', toString: 'y' } }), undefined);
  });

  test('error.type: the RocketMQError code, else the class name, else _OTHER', () => {
    assert.equal(errorType(new RocketMQError('x', 'TOO_MANY_REQUESTS')), 'TOO_MANY_REQUESTS');
    assert.equal(errorType(new TypeError('x')), 'TypeError');
    assert.equal(errorType('boom'), '_OTHER');
    assert.equal(errorType(undefined), '_OTHER');
  });
});
