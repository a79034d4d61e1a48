/**
 * A runtime without what the client needs fails `start()` with one typed error naming each missing
 * feature, before any channel is opened.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { describe, test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import { Producer, SimpleConsumer } from '../../../src/index.js';
import { missingRuntimeFeatures, runtimeSupportError } from '../../../src/rpc/runtime-support.js';

// What the check reads from globalThis (whose own properties do not spread: they are not enumerable).
const base = { AbortController, AbortSignal, WeakRef, FinalizationRegistry, TextEncoder, TextDecoder };
const complete = { http2, globals: base as Record<string, unknown> };

describe('runtime support check', () => {
  test('the running runtime has every feature', () => {
    assert.deepEqual(missingRuntimeFeatures(), []);
    assert.equal(runtimeSupportError(), undefined);
  });

  test('each missing feature is named', () => {
    assert.deepEqual(missingRuntimeFeatures({ ...complete, http2: {} }), [
      'node:http2 connect (an HTTP/2 client)',
    ]);
    assert.deepEqual(missingRuntimeFeatures({ ...complete, http2: undefined }), [
      'node:http2 connect (an HTTP/2 client)',
    ]);
    const globals = {
      ...complete.globals,
      AbortSignal: {},
      FinalizationRegistry: undefined,
      WeakRef: undefined,
    };
    assert.deepEqual(missingRuntimeFeatures({ http2, globals }), [
      'AbortSignal.timeout',
      'WeakRef',
      'FinalizationRegistry',
    ]);
    assert.deepEqual(missingRuntimeFeatures({ http2, globals: {} }), [
      'AbortController',
      'AbortSignal.timeout',
      'WeakRef',
      'FinalizationRegistry',
      'TextEncoder',
      'TextDecoder',
    ]);
  });

  test('the error is a RUNTIME_UNSUPPORTED RocketMQError, not retriable, listing what is missing', () => {
    const err = runtimeSupportError({ http2: {}, globals: { ...complete.globals, WeakRef: undefined } });
    assert.ok(err instanceof RocketMQError);
    assert.equal(err.code, 'RUNTIME_UNSUPPORTED');
    assert.equal(err.retriable, false);
    assert.match(err.message, /node:http2 connect \(an HTTP\/2 client\), WeakRef$/);
  });

  test('start() of a producer and of a consumer fails with it when node:http2 has no client', async (t) => {
    const saved = http2.connect;
    t.after(() => {
      (http2 as { connect: unknown }).connect = saved;
    });
    (http2 as { connect: unknown }).connect = undefined;
    const producer = new Producer({ endpoints: '127.0.0.1:1', topics: ['t'] });
    const consumer = new SimpleConsumer({
      endpoints: '127.0.0.1:1',
      consumerGroup: 'g',
      subscriptions: { t: '*' },
    });
    for (const client of [producer, consumer]) {
      const err = await client.start({ timeoutMs: 5_000 }).then(
        () => assert.fail('start should fail'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof RocketMQError, String(err));
      assert.equal(err.code, 'RUNTIME_UNSUPPORTED', err.message);
      assert.match(err.message, /node:http2 connect/);
      await client.shutdown({ timeoutMs: 1_000 });
    }
  });
});
