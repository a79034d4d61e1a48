import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import { ManualClock } from '../../../src/internal/clock.js';
import { createCredentials } from '../../../src/rpc/auth/credentials.js';
import { buildRequestMetadata, DEFAULT_LANGUAGE } from '../../../src/rpc/metadata.js';
import { VERSION } from '../../../src/version.js';

// 2024-01-02T03:04:05Z; `date -u -d @1704164645 +%Y%m%dT%H%M%SZ` → 20240102T030405Z
const clock = new ManualClock(1_704_164_645_000);
const fixedId = () => '6f1c1c5e-0000-4000-8000-000000000001';

describe('buildRequestMetadata', () => {
  test('anonymous request: the base headers only', () => {
    const headers = buildRequestMetadata({ clientId: 'h@1@0@abc', clock, requestId: fixedId });
    assert.deepEqual(headers, {
      'x-mq-language': 'NODE_JS',
      'x-mq-protocol': 'v2',
      'x-mq-client-version': '5.0.8',
      'x-mq-client-id': 'h@1@0@abc',
      'x-mq-request-id': '6f1c1c5e-0000-4000-8000-000000000001',
      'x-mq-date-time': '20240102T030405Z',
    });
    assert.equal(DEFAULT_LANGUAGE, 'NODE_JS');
    assert.equal(VERSION, '0.1.0');
  });

  test('signed request with namespace and token (OpenSSL vector)', () => {
    const headers = buildRequestMetadata({
      clientId: 'c',
      namespace: 'ns-1',
      credentials: createCredentials('myAccessKey', 'mySecretKey', 'sts'),
      clock,
      requestId: fixedId,
    });
    assert.equal(headers['x-mq-namespace'], 'ns-1');
    assert.equal(headers['x-mq-session-token'], 'sts');
    // printf '%s' '20240102T030405Z' | openssl dgst -sha1 -hmac 'mySecretKey'
    assert.equal(
      headers.authorization,
      'MQv2-HMAC-SHA1 Credential=myAccessKey, SignedHeaders=x-mq-date-time, Signature=B002FFC3996A13C395D4CD31455D1457C644FDA8',
    );
  });

  test('the signature covers the same date-time that is sent', () => {
    const later = new ManualClock(0);
    const headers = buildRequestMetadata({
      clientId: 'c',
      credentials: createCredentials('k', 'k'),
      clock: later,
      requestId: fixedId,
    });
    assert.equal(headers['x-mq-date-time'], '19700101T000000Z');
    // printf '%s' '19700101T000000Z' | openssl dgst -sha1 -hmac 'k'
    assert.match(headers.authorization!, /Signature=D63512CCD4A990C40C346868CE00AF0D47BAD8D7$/);
  });

  test('blank credentials and empty namespace add nothing', () => {
    const headers = buildRequestMetadata({
      clientId: 'c',
      namespace: '',
      credentials: createCredentials('', ''),
      clock,
      requestId: fixedId,
    });
    assert.equal('authorization' in headers, false);
    assert.equal('x-mq-namespace' in headers, false);
  });

  test('language and version can be overridden', () => {
    const headers = buildRequestMetadata({ clientId: 'c', language: 'HTTP', clientVersion: '5.0.7', clock });
    assert.equal(headers['x-mq-language'], 'HTTP');
    assert.equal(headers['x-mq-client-version'], '5.0.7');
  });

  test('a fresh UUID v4 request id per call by default', () => {
    const a = buildRequestMetadata({ clientId: 'c', clock })['x-mq-request-id']!;
    const b = buildRequestMetadata({ clientId: 'c', clock })['x-mq-request-id']!;
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(a, b);
  });

  test('every header value is printable ASCII', () => {
    const headers = buildRequestMetadata({
      clientId: 'c',
      namespace: 'ns',
      credentials: createCredentials('AK', 'sécrét'),
      clock,
    });
    for (const [k, v] of Object.entries(headers)) {
      assert.match(k, /^[a-z0-9-]+$/);
      assert.match(v, /^[\x20-\x7e]+$/);
    }
  });

  test('rejects a blank client id and non-ASCII namespace', () => {
    const isInvalid = (e: unknown): boolean => e instanceof RocketMQError && e.code === 'INVALID_ARGUMENT';
    assert.throws(() => buildRequestMetadata({ clientId: ' ', clock }), isInvalid);
    assert.throws(() => buildRequestMetadata({ clientId: 'c\n', clock }), isInvalid);
    assert.throws(() => buildRequestMetadata({ clientId: 'c', namespace: '名前', clock }), isInvalid);
  });
});
