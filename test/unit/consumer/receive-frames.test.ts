/**
 * ReceiveMessage frame handling (status, messages, delivery timestamp, as the Apache proxy answers) and
 * the consumer request builders (ReceiveMessage, AckMessage, ChangeInvisibleDuration).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { durationMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { RocketMQError } from '../../../src/errors.js';
import {
  Code,
  DigestType,
  Encoding,
  FilterType,
  MessageSchema,
  Permission,
} from '../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import {
  type ReceiveMessageResponse,
  ReceiveMessageResponseSchema,
} from '../../../src/gen/apache/rocketmq/v2/service_pb.js';
import { buildChangeInvisibleRequest } from '../../../src/protocol/ack-convert.js';
import { buildReceiveRequest, collectReceiveFrames } from '../../../src/protocol/receive-convert.js';
import type { RouteQueue } from '../../../src/protocol/route.js';
import { createEndpoints } from '../../../src/rpc/endpoints.js';
import { buildAckRequest } from '../../helpers/reference-encoders.js';

const status = (code: number, message = ''): ReceiveMessageResponse =>
  create(ReceiveMessageResponseSchema, { content: { case: 'status', value: { code, message } } });
const deliveredAt = (ms: number): ReceiveMessageResponse =>
  create(ReceiveMessageResponseSchema, {
    content: { case: 'deliveryTimestamp', value: timestampFromMs(ms) },
  });
function msg(body: string, id = 'ID1', digest?: string): ReceiveMessageResponse {
  return create(ReceiveMessageResponseSchema, {
    content: {
      case: 'message',
      value: create(MessageSchema, {
        topic: { name: 't' },
        body: new TextEncoder().encode(body),
        systemProperties: {
          messageId: id,
          receiptHandle: `rh-${id}`,
          deliveryAttempt: 3,
          bodyEncoding: Encoding.IDENTITY,
          bodyDigest: {
            type: DigestType.MD5,
            checksum: digest ?? createHash('md5').update(body).digest('hex').toUpperCase(),
          },
        },
      }),
    },
  });
}

async function* stream(
  frames: ReceiveMessageResponse[],
  error?: Error,
): AsyncGenerator<ReceiveMessageResponse> {
  for (const f of frames) yield f;
  if (error !== undefined) throw error;
}

const collect = (frames: ReceiveMessageResponse[], error?: Error) =>
  collectReceiveFrames(stream(frames, error), { endpoint: 'ipv4:127.0.0.1:8081', requestId: 'req-1' });

async function rejectsCode(p: Promise<unknown>, code: string): Promise<RocketMQError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RocketMQError);
    assert.equal(e.code, code);
    return e;
  }
  assert.fail(`expected ${code}`);
}

describe('collectReceiveFrames', () => {
  test('OK + messages + delivery timestamp → decoded views stamped with the endpoint', async () => {
    const r = await collect([status(Code.OK), msg('a', 'A'), msg('b', 'B'), deliveredAt(1_700_000_000_000)]);
    assert.deepEqual(
      r.messages.map((m) => [m.messageId, m.body.toString(), m.receiptHandle, m.deliveryAttempt, m.endpoint]),
      [
        ['A', 'a', 'rh-A', 3, 'ipv4:127.0.0.1:8081'],
        ['B', 'b', 'rh-B', 3, 'ipv4:127.0.0.1:8081'],
      ],
    );
    assert.equal(r.transportDeliveryTimestamp, 1_700_000_000_000);
    assert.equal(r.requestId, 'req-1');
  });

  test('OK without messages is an empty result', async () => {
    assert.deepEqual((await collect([status(Code.OK), deliveredAt(1)])).messages, []);
  });

  test('MESSAGE_NOT_FOUND is an empty result', async () => {
    assert.deepEqual(
      (await collect([status(Code.MESSAGE_NOT_FOUND, 'no new message'), deliveredAt(1)])).messages,
      [],
    );
  });

  test('TOO_MANY_REQUESTS → a retriable typed error with broker code and request id', async () => {
    const e = await rejectsCode(
      collect([status(Code.TOO_MANY_REQUESTS, 'polling full'), deliveredAt(1)]),
      'TOO_MANY_REQUESTS',
    );
    assert.equal(e.retriable, true);
    assert.equal(e.brokerCode, 42900);
    assert.equal(e.requestId, 'req-1');
    assert.equal(e.message, 'polling full');
  });

  test("the proxy's polling-time rejection is a retriable ILLEGAL_POLLING_TIME, whichever code it uses", async () => {
    const text = 'The deadline time remaining is not enough for polling, please check network condition';
    for (const code of [Code.ILLEGAL_POLLING_TIME, Code.BAD_REQUEST]) {
      const e = await rejectsCode(collect([status(code, text), deliveredAt(1)]), 'ILLEGAL_POLLING_TIME');
      assert.equal(e.retriable, true);
      assert.equal(e.brokerCode, code);
    }
    const other = await rejectsCode(collect([status(Code.BAD_REQUEST, 'bad')]), 'BAD_REQUEST');
    assert.equal(other.retriable, false, 'any other BAD_REQUEST stays non-retriable');
  });

  test("an unparsable filter is a non-retriable ILLEGAL_FILTER_EXPRESSION, also as 5.4.0's INTERNAL_SERVER_ERROR", async () => {
    const text = "org.apache.rocketmq.proxy.common.ProxyException: parse the consumer's subscription failed";
    const e = await rejectsCode(
      collect([status(Code.INTERNAL_SERVER_ERROR, text)]),
      'ILLEGAL_FILTER_EXPRESSION',
    );
    assert.equal(e.retriable, false);
    assert.equal(e.brokerCode, Code.INTERNAL_SERVER_ERROR);
    const other = await rejectsCode(
      collect([status(Code.INTERNAL_SERVER_ERROR, 'boom')]),
      'INTERNAL_SERVER_ERROR',
    );
    assert.equal(other.brokerCode, Code.INTERNAL_SERVER_ERROR, 'any other 50001 stays INTERNAL_SERVER_ERROR');
  });

  test('other statuses → their typed, non-retriable errors', async () => {
    await rejectsCode(collect([status(Code.ILLEGAL_FILTER_EXPRESSION)]), 'ILLEGAL_FILTER_EXPRESSION');
    await rejectsCode(collect([status(Code.ILLEGAL_INVISIBLE_TIME)]), 'ILLEGAL_INVISIBLE_TIME');
    await rejectsCode(collect([status(Code.CONSUMER_GROUP_NOT_FOUND)]), 'CONSUMER_GROUP_NOT_FOUND');
    const e = await rejectsCode(collect([status(Code.FORBIDDEN)]), 'FORBIDDEN');
    assert.equal(e.retriable, false);
  });

  test('the last status frame decides', async () => {
    await rejectsCode(
      collect([status(Code.OK), msg('a'), status(Code.INTERNAL_SERVER_ERROR)]),
      'INTERNAL_SERVER_ERROR',
    );
    assert.equal(
      (await collect([status(Code.TOO_MANY_REQUESTS), status(Code.OK), msg('a')])).messages.length,
      1,
    );
  });

  test('no status frame → INTERNAL, even with messages', async () => {
    await rejectsCode(collect([msg('a'), deliveredAt(1)]), 'INTERNAL');
    await rejectsCode(collect([]), 'INTERNAL');
  });

  test('an error mid-stream fails the whole call with that error', async () => {
    const boom = new RocketMQError('gone', 'UNAVAILABLE');
    await assert.rejects(collect([status(Code.OK), msg('a')], boom), (e) => e === boom);
  });

  test('a message with a bad digest is delivered as corrupted, not failing the batch', async () => {
    const r = await collect([status(Code.OK), msg('good', 'G'), msg('bad', 'B', 'DEADBEEF')]);
    assert.deepEqual(
      r.messages.map((m) => [m.messageId, m.corrupted]),
      [
        ['G', false],
        ['B', true],
      ],
    );
  });
});

describe('request builders', () => {
  const queue: RouteQueue = {
    topic: 'orders',
    brokerName: 'broker-a',
    brokerId: 0,
    queueId: 2,
    permission: 'read-write',
    endpoints: createEndpoints('ipv4', [{ host: '10.0.0.1', port: 8081 }]),
    acceptMessageTypes: ['NORMAL'],
  };

  test('ReceiveMessageRequest of a simple consumer', () => {
    const r = buildReceiveRequest({
      group: 'g',
      namespace: 'ns',
      queue,
      filter: { type: 'sql', expression: 'a > 1' },
      batchSize: 7,
      invisibleDurationMs: 15_500,
      longPollingTimeoutMs: 20_000,
    });
    assert.deepEqual([r.group?.name, r.group?.resourceNamespace], ['g', 'ns']);
    assert.equal(r.messageQueue?.topic?.name, 'orders');
    assert.equal(r.messageQueue?.topic?.resourceNamespace, 'ns');
    assert.equal(r.messageQueue?.broker?.name, 'broker-a');
    assert.equal(r.messageQueue?.id, 2);
    assert.equal(r.messageQueue?.permission, Permission.READ_WRITE);
    assert.deepEqual([r.filterExpression?.type, r.filterExpression?.expression], [FilterType.SQL, 'a > 1']);
    assert.equal(r.batchSize, 7);
    assert.equal(durationMs(r.invisibleDuration!), 15_500);
    assert.equal(r.autoRenew, false);
    assert.equal(durationMs(r.longPollingTimeout!), 20_000);
    assert.equal(r.attemptId, undefined);
  });

  test('tag filter and auto-renew without invisible duration', () => {
    const r = buildReceiveRequest({
      group: 'g',
      queue,
      filter: { type: 'tag', expression: 'a||b' },
      batchSize: 32,
      autoRenew: true,
      longPollingTimeoutMs: 5_000,
      attemptId: 'att',
    });
    assert.deepEqual([r.filterExpression?.type, r.filterExpression?.expression], [FilterType.TAG, 'a||b']);
    assert.equal(r.invisibleDuration, undefined);
    assert.equal(r.autoRenew, true);
    assert.equal(r.attemptId, 'att');
  });

  test('AckMessageRequest and ChangeInvisibleDurationRequest', () => {
    const ref = { group: 'g', namespace: 'ns', topic: 't', messageId: 'M', receiptHandle: 'RH' };
    const ack = buildAckRequest([ref, { ...ref, messageId: 'N', receiptHandle: 'RH2' }]);
    assert.deepEqual([ack.group?.name, ack.topic?.name, ack.topic?.resourceNamespace], ['g', 't', 'ns']);
    assert.deepEqual(
      ack.entries.map((e) => [e.messageId, e.receiptHandle]),
      [
        ['M', 'RH'],
        ['N', 'RH2'],
      ],
    );
    assert.throws(
      () => buildAckRequest([]),
      (e) => e instanceof RocketMQError && e.code === 'INVALID_ARGUMENT',
    );
    const change = buildChangeInvisibleRequest(ref, 1_500);
    assert.deepEqual(
      [change.group?.name, change.topic?.name, change.messageId, change.receiptHandle],
      ['g', 't', 'M', 'RH'],
    );
    assert.equal(durationMs(change.invisibleDuration!), 1_500);
  });
});
