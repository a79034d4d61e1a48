/**
 * The idempotent listener helper on a REAL RocketMQ 5.x proxy (the runner's shared broker): the first
 * AckMessage of the consumer is dropped before it leaves (a channel factory answers it with a
 * non-retriable gRPC error), so its messages come again after their invisible time (10 s, the
 * shortest allowed); the wrapped listener acks the redeliveries without running the user's listener a
 * second time. About 15 s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { idempotentListener } from '../../src/consumer/idempotent-listener.js';
import { PushConsumer } from '../../src/consumer/push-consumer.js';
import { AckMessageRequestSchema } from '../../src/gen/apache/rocketmq/v2/service_pb.js';
import { Producer } from '../../src/producer/producer.js';
import type { GrpcClientFactory } from '../../src/rpc/channel-pool.js';
import { uniqueName, useSharedBroker } from '../helpers/broker.js';
import { waitUntil } from '../helpers/wait-for.js';

const N = 5;

describe('idempotentListener against a real RocketMQ 5.x proxy', () => {
  const shared = useSharedBroker({ before, after });

  test('a dropped ack: the redelivered messages are acked without a second listener call', async (t) => {
    const broker = shared.broker;
    if (!broker) return t.skip(shared.skipReason);
    const topic = uniqueName('idem');
    const group = uniqueName('idem-g');
    await Promise.all([broker.createTopic(topic, 'NORMAL'), broker.createConsumerGroup(group)]);

    let dropNext = 1;
    let droppedEntries = 0;
    const dropFirstAck: GrpcClientFactory = (target, credentials, options) => {
      const client = new grpc.Client(target, credentials, options);
      const unary = client.makeUnaryRequest.bind(client) as (...args: unknown[]) => grpc.ClientUnaryCall;
      return {
        makeUnaryRequest: ((method: string, ...rest: unknown[]) => {
          if (method.endsWith('/AckMessage') && dropNext > 0) {
            dropNext--;
            // The client sends AckMessage pre-encoded: the bytes are decoded to count the entries.
            const request = fromBinary(AckMessageRequestSchema, rest[2] as Uint8Array);
            droppedEntries += request.entries.length;
            const callback = rest.at(-1) as (err: Partial<grpc.ServiceError>) => void;
            setImmediate(() =>
              callback({ code: grpc.status.INVALID_ARGUMENT, details: 'ack dropped by the test' }),
            );
            return { cancel: () => {}, getPeer: () => target } as unknown as grpc.ClientUnaryCall;
          }
          return unary(method, ...rest);
        }) as grpc.Client['makeUnaryRequest'],
        makeServerStreamRequest: client.makeServerStreamRequest.bind(client),
        makeBidiStreamRequest: client.makeBidiStreamRequest.bind(client),
        close: () => client.close(),
      };
    };

    const handled = new Map<string, number>();
    let deliveries = 0;
    const listener = idempotentListener(
      (m) => {
        handled.set(m.messageId, (handled.get(m.messageId) ?? 0) + 1);
      },
      { ttlMs: 10 * 60_000 },
    );
    const consumer = new PushConsumer({
      endpoints: broker.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      invisibleDurationMs: 10_000,
      listener: (m, ctx) => {
        deliveries++;
        return listener(m, ctx);
      },
      createGrpcClient: dropFirstAck,
    });
    t.after(() => consumer.shutdown({ timeoutMs: 2_000 }));
    const producer = new Producer({ endpoints: broker.endpoint, topics: [topic] });
    t.after(() => producer.shutdown());
    await Promise.all([producer.start({ timeoutMs: 20_000 }), consumer.start({ timeoutMs: 20_000 })]);

    const ids = (
      await Promise.all(Array.from({ length: N }, (_, i) => producer.send({ topic, body: `m${i}` })))
    ).map((r) => r.messageId);
    await waitUntil(() => droppedEntries > 0, 30_000, 'the first ack dropped');
    await waitUntil(
      () => deliveries >= N + droppedEntries && consumer.stats().acked >= N,
      60_000,
      `the ${droppedEntries} messages of the dropped ack delivered again and everything acked`,
    );
    t.diagnostic(`${droppedEntries} acks dropped, ${deliveries} deliveries, ${handled.size} handled`);
    for (const id of ids) assert.equal(handled.get(id), 1, `listener ran once for ${id}`);
    assert.equal(handled.size, N);
    assert.equal(consumer.stats().settleFailures >= 1, true, 'the dropped ack was a settle failure');
  });
});
