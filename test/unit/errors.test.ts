import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BROKER_CODES,
  brokerStatusToError,
  defaultRetriable,
  type ErrorCode,
  grpcStatusToError,
  isErrorCode,
  lookupBrokerCode,
  RocketMQError,
} from '../../src/errors.js';
import { createAbortError, createTimeoutError } from '../../src/internal/abort.js';
import { SchedulerClosedError } from '../../src/internal/scheduler.js';

/**
 * Written from the proxy's code list (apache/rocketmq-apis `Code`) and the retry recommendation: retriable =
 * 42900, 500xx, 504xx, plus 40800 (a timeout). Everything else fails fast.
 */
const EXPECTED: ReadonlyArray<[number, string, boolean]> = [
  [0, 'CODE_UNSPECIFIED', false],
  [30000, 'MULTIPLE_RESULTS', false],
  [40000, 'BAD_REQUEST', false],
  [40001, 'ILLEGAL_ACCESS_POINT', false],
  [40002, 'ILLEGAL_TOPIC', false],
  [40003, 'ILLEGAL_CONSUMER_GROUP', false],
  [40004, 'ILLEGAL_MESSAGE_TAG', false],
  [40005, 'ILLEGAL_MESSAGE_KEY', false],
  [40006, 'ILLEGAL_MESSAGE_GROUP', false],
  [40007, 'ILLEGAL_MESSAGE_PROPERTY_KEY', false],
  [40008, 'INVALID_TRANSACTION_ID', false],
  [40009, 'ILLEGAL_MESSAGE_ID', false],
  [40010, 'ILLEGAL_FILTER_EXPRESSION', false],
  [40011, 'ILLEGAL_INVISIBLE_TIME', false],
  [40012, 'ILLEGAL_DELIVERY_TIME', false],
  [40013, 'INVALID_RECEIPT_HANDLE', false],
  [40014, 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE', false],
  [40015, 'UNRECOGNIZED_CLIENT_TYPE', false],
  [40016, 'MESSAGE_CORRUPTED', false],
  [40017, 'CLIENT_ID_REQUIRED', false],
  [40018, 'ILLEGAL_POLLING_TIME', false],
  [40019, 'ILLEGAL_OFFSET', false],
  [40020, 'ILLEGAL_LITE_TOPIC', false],
  [40021, 'INVALID_CLIENT_PROPERTIES', false],
  [40100, 'UNAUTHORIZED', false],
  [40200, 'PAYMENT_REQUIRED', false],
  [40300, 'FORBIDDEN', false],
  [40400, 'NOT_FOUND', false],
  [40401, 'MESSAGE_NOT_FOUND', false],
  [40402, 'TOPIC_NOT_FOUND', false],
  [40403, 'CONSUMER_GROUP_NOT_FOUND', false],
  [40404, 'OFFSET_NOT_FOUND', false],
  [40800, 'REQUEST_TIMEOUT', true],
  [41300, 'PAYLOAD_TOO_LARGE', false],
  [41301, 'MESSAGE_BODY_TOO_LARGE', false],
  [41302, 'MESSAGE_BODY_EMPTY', false],
  [42800, 'PRECONDITION_FAILED', false],
  [42900, 'TOO_MANY_REQUESTS', true],
  [42901, 'LITE_TOPIC_QUOTA_EXCEEDED', false],
  [42902, 'LITE_SUBSCRIPTION_QUOTA_EXCEEDED', false],
  [43100, 'REQUEST_HEADER_FIELDS_TOO_LARGE', false],
  [43101, 'MESSAGE_PROPERTIES_TOO_LARGE', false],
  [50000, 'INTERNAL_ERROR', true],
  [50001, 'INTERNAL_SERVER_ERROR', true],
  [50002, 'HA_NOT_AVAILABLE', true],
  [50100, 'NOT_IMPLEMENTED', false],
  [50400, 'PROXY_TIMEOUT', true],
  [50401, 'MASTER_PERSISTENCE_TIMEOUT', true],
  [50402, 'SLAVE_PERSISTENCE_TIMEOUT', true],
  [50500, 'UNSUPPORTED', false],
  [50501, 'VERSION_UNSUPPORTED', false],
  [50502, 'VERIFY_FIFO_MESSAGE_UNSUPPORTED', false],
  [60000, 'FAILED_TO_CONSUME_MESSAGE', false],
];

describe('broker status table', () => {
  test('every proxy code maps to its own stable code and the recommended retriability', () => {
    for (const [num, code, retriable] of EXPECTED) {
      const err = brokerStatusToError({ code: num, message: 'm' }, { requestId: 'req-1' });
      assert.ok(err instanceof RocketMQError, `${num} should be an error`);
      assert.equal(err.code, code, `code for ${num}`);
      assert.equal(err.retriable, retriable, `retriable for ${num}`);
      assert.equal(err.brokerCode, num);
      assert.equal(err.requestId, 'req-1');
      assert.equal(err.message, 'm');
    }
    const codes = EXPECTED.map(([, c]) => c);
    assert.equal(new Set(codes).size, codes.length, 'codes are distinct');
  });

  test('the table holds exactly the proxy codes (OK excluded)', () => {
    assert.deepEqual(
      [...BROKER_CODES.keys()].sort((a, b) => a - b),
      EXPECTED.map(([n]) => n),
    );
  });

  test('OK (20000) is not an error', () => {
    assert.equal(brokerStatusToError({ code: 20000, message: 'OK' }), undefined);
    assert.equal(lookupBrokerCode(20000), undefined);
  });

  test('unknown codes fall back to their category, then to UNKNOWN_BROKER_CODE', () => {
    const cases: Array<[number, string, boolean]> = [
      [40099, 'BAD_REQUEST', false],
      [40455, 'NOT_FOUND', false],
      [42977, 'TOO_MANY_REQUESTS', true],
      [50003, 'INTERNAL_ERROR', true],
      [50499, 'PROXY_TIMEOUT', true],
      [50599, 'UNSUPPORTED', false],
      [20001, 'UNKNOWN_BROKER_CODE', false],
      [44400, 'UNKNOWN_BROKER_CODE', false],
      [70000, 'UNKNOWN_BROKER_CODE', false],
      [17, 'UNKNOWN_BROKER_CODE', false],
      [-1, 'UNKNOWN_BROKER_CODE', false],
    ];
    for (const [num, code, retriable] of cases) {
      const err = brokerStatusToError({ code: num, message: '' })!;
      assert.equal(err.code, code, `code for ${num}`);
      assert.equal(err.retriable, retriable, `retriable for ${num}`);
      assert.equal(err.brokerCode, num);
    }
  });

  test('an empty broker message gets a default without the request id', () => {
    const err = brokerStatusToError({ code: 40402, message: '  ' }, { requestId: 'rid-xyz' })!;
    assert.match(err.message, /TOPIC_NOT_FOUND/);
    assert.doesNotMatch(err.message, /rid-xyz/);
  });
});

describe('gRPC status mapping', () => {
  const cases: Array<[number, ErrorCode, boolean]> = [
    [1, 'CANCELLED', true],
    [2, 'INTERNAL', false],
    [3, 'BAD_REQUEST', false],
    [4, 'TIMEOUT', true],
    [5, 'NOT_FOUND', false],
    [7, 'FORBIDDEN', false],
    [8, 'TOO_MANY_REQUESTS', true],
    [9, 'PRECONDITION_FAILED', false],
    [10, 'INTERNAL', true],
    [12, 'NOT_IMPLEMENTED', false],
    [13, 'INTERNAL', true],
    [14, 'UNAVAILABLE', true],
    [15, 'INTERNAL', false],
    [16, 'UNAUTHORIZED', false],
    [99, 'INTERNAL', false],
  ];
  for (const [status, code, retriable] of cases) {
    test(`status ${status} → ${code} (retriable=${retriable})`, () => {
      const err = grpcStatusToError(status, 'details here', { requestId: 'r' });
      assert.equal(err.code, code);
      assert.equal(err.retriable, retriable);
      assert.equal(err.grpcCode, status);
      assert.equal(err.brokerCode, undefined);
      assert.equal(err.requestId, 'r');
      assert.match(err.message, /details here/);
    });
  }

  test('names the status in the message and keeps the cause', () => {
    const cause = new Error('socket');
    const err = grpcStatusToError(14, undefined, { cause });
    assert.equal(err.message, 'gRPC call failed with UNAVAILABLE');
    assert.equal(err.cause, cause);
  });
});

describe('RocketMQError', () => {
  test('fields, name and default retriability', () => {
    const err = new RocketMQError('no route', 'UNAVAILABLE');
    assert.equal(err.name, 'RocketMQError');
    assert.equal(err.code, 'UNAVAILABLE');
    assert.equal(err.retriable, true);
    assert.equal(err.brokerCode, undefined);
    assert.ok(err instanceof Error);
    assert.equal(new RocketMQError('x', 'INVALID_ARGUMENT').retriable, false);
    assert.equal(new RocketMQError('x', 'TOO_MANY_REQUESTS').retriable, true);
    assert.equal(new RocketMQError('x', 'TOO_MANY_REQUESTS', { retriable: false }).retriable, false);
    assert.equal(defaultRetriable('PROXY_TIMEOUT'), true);
    assert.equal(defaultRetriable('CLOSED'), false);
  });

  test('instanceof works for instances of another copy (brand symbol)', () => {
    const foreign = new Error('from another bundle');
    Object.defineProperty(foreign, Symbol.for('rocketmq-ts.RocketMQError'), { value: true });
    assert.ok(foreign instanceof RocketMQError);
    assert.ok(!(new Error('plain') instanceof RocketMQError));
    assert.ok(!((null as unknown) instanceof RocketMQError));
    assert.ok(!({ name: 'RocketMQError', code: 'INTERNAL' } instanceof RocketMQError));
  });

  test('instanceof works across two loaded copies of the module', async () => {
    const specifier = new URL('../../src/errors.ts?second-copy', import.meta.url).href;
    const copy = (await import(specifier)) as typeof import('../../src/errors.js');
    assert.notEqual(copy.RocketMQError, RocketMQError);
    assert.ok(new copy.RocketMQError('x', 'INTERNAL') instanceof RocketMQError);
    assert.ok(new RocketMQError('x', 'INTERNAL') instanceof copy.RocketMQError);
  });

  test('subclasses keep ordinary instanceof semantics', () => {
    class SubError extends RocketMQError {}
    assert.ok(new SubError('x', 'INTERNAL') instanceof SubError);
    assert.ok(new SubError('x', 'INTERNAL') instanceof RocketMQError);
    assert.ok(!(new RocketMQError('x', 'INTERNAL') instanceof SubError));
  });

  test('from() passes RocketMQError through and classifies known shapes', () => {
    const original = new RocketMQError('x', 'FORBIDDEN');
    assert.equal(RocketMQError.from(original), original);
    assert.equal(RocketMQError.from(createAbortError()).code, 'ABORTED');
    assert.equal(RocketMQError.from(createTimeoutError()).code, 'TIMEOUT');
    assert.equal(RocketMQError.from(new SchedulerClosedError()).code, 'CLOSED');
    const plain = new TypeError('bad');
    const wrapped = RocketMQError.from(plain, 'INVALID_ARGUMENT');
    assert.equal(wrapped.code, 'INVALID_ARGUMENT');
    assert.equal(wrapped.message, 'bad');
    assert.equal(wrapped.cause, plain);
    assert.equal(RocketMQError.from('text').code, 'INTERNAL');
    assert.equal(RocketMQError.from('text').message, 'text');
    assert.equal(RocketMQError.from(42).message, 'Unknown error');
    assert.equal(RocketMQError.from(42).cause, 42);
  });

  test('toJSON exposes the structured fields', () => {
    const err = brokerStatusToError({ code: 42900, message: 'flow limit' }, { requestId: 'id-1' })!;
    assert.deepEqual(JSON.parse(JSON.stringify(err)), {
      name: 'RocketMQError',
      code: 'TOO_MANY_REQUESTS',
      message: 'flow limit',
      retriable: true,
      brokerCode: 42900,
      requestId: 'id-1',
    });
  });

  test('isErrorCode recognises broker and client codes only', () => {
    assert.equal(isErrorCode('SETTINGS_TIMEOUT'), true);
    assert.equal(isErrorCode('ILLEGAL_TOPIC'), true);
    assert.equal(isErrorCode('OK'), false);
    assert.equal(isErrorCode(40000), false);
  });
});
