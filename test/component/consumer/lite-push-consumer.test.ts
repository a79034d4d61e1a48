/**
 * LitePushConsumer on the in-process broker, for what a real broker cannot be made to do on demand: the
 * server's unsubscribe notice (telemetry NotifyUnsubscribeLiteCommand) reaches `onLiteUnsubscribed`,
 * and the consumer announces itself as LITE_PUSH_CONSUMER. (The in-process broker does not implement
 * lite subscriptions; the real-broker proof is test/integration/lite.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { LitePushConsumer } from '../../../src/consumer/lite-push-consumer.js';
import { uniqueName } from '../../helpers/in-process-client.js';
import { startBroker } from '../in-process-broker/fixture.js';

describe('LitePushConsumer (in-process broker)', () => {
  test('the server unsubscribe notice reaches onLiteUnsubscribed', async (t: TestContext) => {
    const fx = await startBroker(t, { fakeTime: true });
    const time = fx.time!;
    const topic = uniqueName('lite');
    const group = uniqueName('lite-g');
    fx.broker.createTopic(topic, { type: 'NORMAL', queues: 1 });
    fx.broker.createConsumerGroup(group, {});
    let notified: (liteTopic: string) => void = () => undefined;
    const got = new Promise<string>((resolve) => {
      notified = resolve;
    });
    const consumer = new LitePushConsumer({
      endpoints: fx.broker.endpoint,
      consumerGroup: group,
      topic,
      listener: () => undefined,
      onLiteUnsubscribed: (liteTopic) => notified(liteTopic),
      clock: time,
      timers: time,
    });
    t.after(() => consumer.shutdown({ timeoutMs: 0 }));
    await consumer.start();
    assert.equal(fx.broker.clientSettings(consumer.clientId)?.clientType, 'LITE_PUSH_CONSUMER');
    assert.equal(
      fx.broker.sendCommand(consumer.clientId, { type: 'notify-unsubscribe-lite', liteTopic: 'chat-7' }),
      true,
    );
    assert.equal(await got, 'chat-7');
    await consumer.shutdown({ timeoutMs: 1000 });
    assert.equal(consumer.state, 'stopped');
  });
});
