import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RocketMQError } from '../../../../src/errors.js';
import { formatDateTime, hmacSha1Hex, sign } from '../../../../src/rpc/auth/signer.js';

/*
 * Expected signatures were computed independently with OpenSSL when the tests were written:
 *   printf '%s' '<date-time>' | openssl dgst -sha1 -hmac '<secret>'
 * and upper-cased. Expected date-times were checked with: date -u -d @<epoch-seconds> +%Y%m%dT%H%M%SZ
 */

describe('formatDateTime', () => {
  test('formats UTC as yyyyMMddTHHmmssZ', () => {
    // date -u -d @1704164645 +%Y%m%dT%H%M%SZ → 20240102T030405Z
    assert.equal(formatDateTime(1_704_164_645_000), '20240102T030405Z');
    // date -u -d @4102444799 → 20991231T235959Z
    assert.equal(formatDateTime(4_102_444_799_999), '20991231T235959Z');
    // date -u -d @951782400 → 20000229T000000Z (leap day)
    assert.equal(formatDateTime(951_782_400_000), '20000229T000000Z');
    assert.equal(formatDateTime(0), '19700101T000000Z');
  });

  test('each call gives its own second: consecutive seconds of one minute differ, one second is stable', () => {
    // Consecutive calls run through the formatter's cache of the last second formatted.
    const minute = 1_704_164_640_000; // 20240102T030400Z
    for (let sec = 0; sec < 60; sec++) {
      const expected = `20240102T0304${String(sec).padStart(2, '0')}Z`;
      assert.equal(formatDateTime(minute + sec * 1000), expected, `start of second ${sec}`);
      assert.equal(formatDateTime(minute + sec * 1000 + 999), expected, `end of second ${sec}`);
    }
    // Back and forth between neighbouring seconds and minutes.
    assert.equal(formatDateTime(minute + 59_999), '20240102T030459Z');
    assert.equal(formatDateTime(minute + 60_000), '20240102T030500Z');
    assert.equal(formatDateTime(minute + 1_000), '20240102T030401Z');
    assert.equal(formatDateTime(minute - 1), '20240102T030359Z');
  });

  test('rejects an invalid time', () => {
    assert.throws(
      () => formatDateTime(Number.NaN),
      (e) => e instanceof RocketMQError && e.code === 'INVALID_ARGUMENT',
    );
  });
});

describe('hmacSha1Hex', () => {
  test('matches OpenSSL vectors, uppercase', () => {
    // printf '%s' '20240102T030405Z' | openssl dgst -sha1 -hmac 'mySecretKey'
    assert.equal(hmacSha1Hex('mySecretKey', '20240102T030405Z'), 'B002FFC3996A13C395D4CD31455D1457C644FDA8');
    // printf '%s' '19700101T000000Z' | openssl dgst -sha1 -hmac 'k'
    assert.equal(hmacSha1Hex('k', '19700101T000000Z'), 'D63512CCD4A990C40C346868CE00AF0D47BAD8D7');
    // printf '%s' '20991231T235959Z' | openssl dgst -sha1 -hmac 'another-Secret_123'
    assert.equal(
      hmacSha1Hex('another-Secret_123', '20991231T235959Z'),
      '267CC294D6EDCD618C01D84551292780D2C78726',
    );
  });

  test('keys with the UTF-8 bytes of a non-ASCII secret', () => {
    // printf '%s' '20240102T030405Z' | openssl dgst -sha1 -hmac 'sécrét-密钥-🔑'  (UTF-8 locale)
    assert.equal(
      hmacSha1Hex('sécrét-密钥-🔑', '20240102T030405Z'),
      '352342E2570AB8018D94EEB071007CCFBFF46CC8',
    );
  });
});

describe('sign', () => {
  test('builds the authorization header (known vector)', () => {
    const headers = sign({
      accessKey: 'myAccessKey',
      accessSecret: 'mySecretKey',
      dateTime: '20240102T030405Z',
    });
    assert.deepEqual(headers, {
      authorization:
        'MQv2-HMAC-SHA1 Credential=myAccessKey, SignedHeaders=x-mq-date-time, Signature=B002FFC3996A13C395D4CD31455D1457C644FDA8',
    });
  });

  test('adds x-mq-session-token when a token is present', () => {
    const headers = sign({
      accessKey: 'AK',
      accessSecret: 'sécrét-密钥-🔑',
      securityToken: 'sts-token-1',
      dateTime: '20240102T030405Z',
    });
    assert.equal(
      headers.authorization,
      'MQv2-HMAC-SHA1 Credential=AK, SignedHeaders=x-mq-date-time, Signature=352342E2570AB8018D94EEB071007CCFBFF46CC8',
    );
    assert.equal(headers['x-mq-session-token'], 'sts-token-1');
    assert.deepEqual(Object.keys(headers).sort(), ['authorization', 'x-mq-session-token']);
  });

  test('returns nothing when the access key or secret is blank', () => {
    const dateTime = '20240102T030405Z';
    assert.deepEqual(sign({ accessKey: '', accessSecret: 's', dateTime }), {});
    assert.deepEqual(sign({ accessKey: 'AK', accessSecret: '  ', dateTime }), {});
    assert.deepEqual(sign({ accessKey: ' ', accessSecret: '', securityToken: 'tok', dateTime }), {});
  });

  test('a blank token is not sent', () => {
    const headers = sign({
      accessKey: 'AK',
      accessSecret: 's',
      securityToken: '',
      dateTime: '20240102T030405Z',
    });
    assert.equal('x-mq-session-token' in headers, false);
  });

  test('rejects values that cannot travel in a header, without echoing secrets', () => {
    const isInvalid = (e: unknown): boolean => {
      assert.ok(e instanceof RocketMQError);
      assert.equal(e.code, 'INVALID_ARGUMENT');
      assert.doesNotMatch(e.message, /topsecret|tok\u00e9n/);
      return true;
    };
    const dateTime = '20240102T030405Z';
    assert.throws(() => sign({ accessKey: 'a,b', accessSecret: 'topsecret', dateTime }), isInvalid);
    assert.throws(() => sign({ accessKey: 'a b', accessSecret: 'topsecret', dateTime }), isInvalid);
    assert.throws(() => sign({ accessKey: 'ключ', accessSecret: 'topsecret', dateTime }), isInvalid);
    assert.throws(() => sign({ accessKey: 'AK', accessSecret: 'topsecret', dateTime: '' }), isInvalid);
    assert.throws(
      () => sign({ accessKey: 'AK', accessSecret: 'topsecret', securityToken: 'tok\u00e9n', dateTime }),
      isInvalid,
    );
  });
});
