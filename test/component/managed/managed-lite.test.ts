/**
 * Lite jobs of the managed layer on the in-process broker (fake time): a job registered with
 * `liteTopics` consumes those lite topics of its LITE parent topic; `addLiteTopic` / `removeLiteTopic`
 * change the set while it runs and across a switch off/on; bad input is refused with typed codes.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import { customizedBackoff } from '../../../src/internal/backoff.js';
import { Registry } from '../../../src/managed/registry.js';
import { noopLogger } from '../../../src/observability/logger.js';
import { drive, settleIo } from '../../helpers/fake-time.js';
import { message, uniqueName } from '../../helpers/in-process-client.js';
import { startBroker } from '../in-process-broker/fixture.js';

const code = (c: string) => (e: unknown) => e instanceof RocketMQError && e.code === c;

async function setup(t: TestContext) {
  const fx = await startBroker(t, { fakeTime: true });
  const time = fx.time!;
  const topic = uniqueName('mlite');
  const group = uniqueName('mlite-g');
  fx.broker.createTopic(topic, { type: 'LITE', queues: 2 });
  fx.broker.createConsumerGroup(group, { liteBindTopic: topic });
  const registry = new Registry({
    logger: noopLogger,
    clock: time,
    timers: time,
    startBackoff: customizedBackoff([1_000]),
    startTimeoutMs: 5_000,
    consumerOptions: { clock: time, timers: time },
  });
  t.after(() => registry.shutdownAll({ force: true }));
  const producer = fx.client();
  const send = async (liteTopic: string, body: string): Promise<void> => {
    const res = await producer.send(message({ topic, liteTopic, body }));
    assert.equal(res.status?.code, 20000, `send failed: ${res.status?.message}`);
  };
  return { fx, time, topic, group, registry, send };
}

describe('managed lite jobs', () => {
  test('a job with liteTopics consumes them; addLiteTopic / removeLiteTopic change the set while it runs', async (t) => {
    const s = await setup(t);
    const got: string[] = [];
    const job = s.registry.registerConsumer(
      {
        jobName: uniqueName('lite-job'),
        topic: s.topic,
        endpoint: s.fx.broker.endpoint,
        consumerGroup: s.group,
        liteTopics: ['a'],
      },
      (_ctx, m) => void got.push(`${m.liteTopic}:${m.body.toString()}`),
    );
    s.registry.startAllConsumers();
    await drive(s.time, () => job.state === 'running', 'running');
    await s.send('a', 'a1');
    await s.send('b', 'b1');
    await drive(s.time, () => got.includes('a:a1'), 'a1');
    await job.addLiteTopic('b', { offset: 'min' });
    await drive(s.time, () => got.includes('b:b1'), 'b1 after adding b with min');
    assert.deepEqual([...job.liteTopics].sort(), ['a', 'b']);
    await job.removeLiteTopic('a');
    await s.send('a', 'a2');
    await s.send('b', 'b2');
    await drive(s.time, () => got.includes('b:b2'), 'b2');
    await settleIo(20);
    assert.equal(got.includes('a:a2'), false, 'nothing from a after removeLiteTopic');
    // Across a switch off/on the new session subscribes to the job's current set.
    job.setSwitch(false);
    await drive(s.time, () => job.state === 'off', 'off');
    await job.addLiteTopic('c', { offset: 'min' });
    await s.send('c', 'c1');
    job.setSwitch(true);
    await drive(s.time, () => got.includes('c:c1'), 'c1 in the next session');
    assert.deepEqual(
      got.filter((g) => g.startsWith('a:')),
      ['a:a1'],
    );
  });

  test('bad input: an ordinary job has no lite topics, bad names and a tag filter on a lite job are refused', async (t) => {
    const s = await setup(t);
    const base = { topic: s.topic, endpoint: s.fx.broker.endpoint, consumerGroup: s.group };
    const plain = s.registry.registerConsumer({ ...base, jobName: uniqueName('plain') }, () => undefined);
    await assert.rejects(plain.addLiteTopic('x'), code('INVALID_STATE'));
    assert.throws(
      () =>
        s.registry.registerConsumer(
          { ...base, jobName: uniqueName('j'), liteTopics: ['bad name'] },
          () => undefined,
        ),
      code('ILLEGAL_LITE_TOPIC'),
    );
    assert.throws(
      () =>
        s.registry.registerConsumer(
          { ...base, jobName: uniqueName('j'), liteTopics: ['ok'], tagExpression: 'x' },
          () => undefined,
        ),
      code('INVALID_ARGUMENT'),
    );
    const lite = s.registry.registerConsumer(
      { ...base, jobName: uniqueName('lite'), liteTopics: [] },
      () => undefined,
    );
    await assert.rejects(lite.addLiteTopic(''), code('ILLEGAL_LITE_TOPIC'));
    await assert.rejects(lite.addLiteTopic('x', { offset: { tailN: -1 } }), code('ILLEGAL_OFFSET'));
    await lite.addLiteTopic('x');
    assert.deepEqual([...lite.liteTopics], ['x'], 'kept for the next session');
  });
});
