import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeFailure, EXIT, exitCodeOf, hintFor } from '../../../src/cli/exit.js';
import { type ErrorCode, RocketMQError } from '../../../src/index.js';

const err = (code: ErrorCode, options = {}) => new RocketMQError(`failed: ${code}`, code, options);

describe('cli exit codes and hints', () => {
  test('exit codes follow the error code', () => {
    const cases: Array<[ErrorCode, number]> = [
      ['INVALID_ARGUMENT', EXIT.USAGE],
      ['ILLEGAL_ACCESS_POINT', EXIT.USAGE],
      ['UNAVAILABLE', EXIT.UNREACHABLE],
      ['TIMEOUT', EXIT.UNREACHABLE],
      ['SETTINGS_TIMEOUT', EXIT.UNREACHABLE],
      ['UNAUTHORIZED', EXIT.AUTH],
      ['FORBIDDEN', EXIT.AUTH],
      ['TOPIC_NOT_FOUND', EXIT.NOT_FOUND],
      ['CONSUMER_GROUP_NOT_FOUND', EXIT.NOT_FOUND],
      ['ABORTED', EXIT.INTERRUPTED],
      ['MESSAGE_PROPERTY_CONFLICT_WITH_TYPE', EXIT.FAILED],
      ['INTERNAL', EXIT.FAILED],
    ];
    for (const [code, exit] of cases) assert.equal(exitCodeOf(err(code)), exit, code);
  });

  test('a settings timeout caused by a refused connection or bad credentials is explained by its cause', () => {
    const refused = err('SETTINGS_TIMEOUT', { cause: err('UNAVAILABLE') });
    assert.equal(exitCodeOf(refused), EXIT.UNREACHABLE);
    assert.match(hintFor(refused, { endpoint: 'h:1' })!, /^cannot reach h:1/);
    const denied = err('SETTINGS_TIMEOUT', { cause: err('UNAUTHORIZED') });
    assert.equal(exitCodeOf(denied), EXIT.AUTH);
    assert.match(hintFor(denied, { authenticated: false })!, /requires authentication: pass --access-key/);
  });

  test('hints say what to do, with the names the user gave', () => {
    assert.match(
      hintFor(err('TOPIC_NOT_FOUND'), { topic: 'orders' })!,
      /topic "orders" does not exist.*-t orders/,
    );
    assert.match(
      hintFor(err('CONSUMER_GROUP_NOT_FOUND'), { group: 'billing' })!,
      /group "billing" does not exist.*-g billing/,
    );
    assert.match(hintFor(err('UNAUTHORIZED'), { authenticated: true })!, /refused the credentials: check/);
    assert.match(hintFor(err('TIMEOUT'), { endpoint: 'h:9876' })!, /h:9876 did not answer.*gRPC port/);
    assert.match(
      hintFor(err('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'), { topic: 't' })!,
      /--delay a DELAY topic/,
    );
    assert.match(hintFor(err('TOO_MANY_REQUESTS'), {})!, /lower --concurrency/);
    assert.equal(hintFor(err('INTERNAL'), {}), undefined);
  });

  test('the failure text has the message, the code and the hint; --verbose adds the details', () => {
    const e = new RocketMQError('topic x not exist', 'TOPIC_NOT_FOUND', {
      brokerCode: 40402,
      requestId: 'r-1',
    });
    const plain = describeFailure(e, { topic: 'x' });
    assert.match(plain, /^error: topic x not exist \(TOPIC_NOT_FOUND\)\nhint: topic "x" does not exist/);
    assert.doesNotMatch(plain, /request id/);
    assert.match(describeFailure(e, { topic: 'x' }, true), /details: broker code 40402, request id r-1\n$/);
    assert.match(describeFailure(new Error('boom'), {}), /^error: boom \(INTERNAL\)\n$/);
  });
});
