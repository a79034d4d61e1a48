/**
 * Producer auto-batching on a REAL RocketMQ 5.x proxy (the runner's shared broker): 1,000 concurrent
 * `send()` calls with batching on resolve with 1,000 distinct receipts, every message is consumed once
 * with its own key and properties, and far fewer SendMessage requests than messages went on the wire
 * (counted by a channel factory that wraps each gRPC client). A few seconds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { PushConsumer } from '../../src/consumer/push-consumer.js';
import type { MessageView } from '../../src/model/message-view.js';
import { Producer } from '../../src/producer/producer.js';
import type { GrpcClientFactory } from '../../src/rpc/channel-pool.js';
import { uniqueName, useSharedBroker } from '../helpers/broker.js';
import { waitUntil } from '../helpers/wait-for.js';

const N = 1_000;

describe('Producer auto-batching against a real RocketMQ 5.x proxy', () => {
  const shared = useSharedBroker({ before, after });

  test('1,000 concurrent sends: 1,000 distinct receipts, each consumed once with its own properties, few requests', async (t) => {
    const broker = shared.broker;
    if (!broker) return t.skip(shared.skipReason);
    const topic = uniqueName('autobatch');
    const group = uniqueName('autobatch-g');
    await Promise.all([broker.createTopic(topic, 'NORMAL'), broker.createConsumerGroup(group)]);

    let sendRequests = 0;
    const counting: GrpcClientFactory = (target, credentials, options) => {
      const client = new grpc.Client(target, credentials, options);
      const unary = client.makeUnaryRequest.bind(client) as (...args: unknown[]) => grpc.ClientUnaryCall;
      return {
        makeUnaryRequest: ((method: string, ...rest: unknown[]) => {
          if (method.endsWith('/SendMessage')) sendRequests++;
          return unary(method, ...rest);
        }) as grpc.Client['makeUnaryRequest'],
        makeServerStreamRequest: client.makeServerStreamRequest.bind(client),
        makeBidiStreamRequest: client.makeBidiStreamRequest.bind(client),
        close: () => client.close(),
      };
    };
    const producer = new Producer({
      endpoints: broker.endpoint,
      topics: [topic],
      batching: { maxMessages: 128, lingerMs: 5 },
      core: { createGrpcClient: counting },
    });
    t.after(() => producer.shutdown());
    await producer.start({ timeoutMs: 20_000 });

    const consumed = new Map<string, MessageView[]>();
    const consumer = new PushConsumer({
      endpoints: broker.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      listener: (view) => {
        const seen = consumed.get(view.messageId) ?? [];
        seen.push(view);
        consumed.set(view.messageId, seen);
      },
    });
    t.after(() => consumer.shutdown({ timeoutMs: 2_000 }));
    await consumer.start({ timeoutMs: 20_000 });

    const receipts = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        producer.send({ topic, body: `body-${i}`, keys: [`key-${i}`], properties: { index: String(i) } }),
      ),
    );
    const ids = receipts.map((r) => r.messageId);
    assert.equal(new Set(ids).size, N, 'distinct receipts');
    for (const id of ids) assert.ok(!id.includes(','), `a receipt carries one id: ${id}`);
    assert.ok(sendRequests <= N / 4, `far fewer SendMessage requests than messages: ${sendRequests}`);
    t.diagnostic(`${N} messages in ${sendRequests} SendMessage requests`);

    await waitUntil(() => consumed.size >= N, 60_000, `${N} messages consumed`);
    ids.forEach((id, i) => {
      const views = consumed.get(id);
      assert.ok(views !== undefined, `message ${i} (${id}) consumed`);
      assert.equal(views.length, 1, `message ${i} consumed once`);
      const v = views[0]!;
      assert.equal(v.body.toString(), `body-${i}`);
      assert.deepEqual(v.keys, [`key-${i}`]);
      assert.equal(v.properties.index, String(i));
    });
    assert.equal(consumed.size, N, 'nothing else consumed');
  });
});
