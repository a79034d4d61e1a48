/**
 * The registry's `ensure` option against the in-process broker's admin: missing topics are created with
 * their declared type and missing groups FIFO where the topic is FIFO, before anything starts; existing
 * ones are left alone; a topic of another type fails PRECONDITION_FAILED (or warns with 'warn').
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import { Registry } from '../../../src/managed/registry.js';
import { InProcessBroker, type InProcessAdmin } from '../../../src/testing/index.js';
import { uniqueName } from '../../helpers/broker.js';
import { waitFor } from '../../helpers/wait-for.js';

describe('managed registry: ensure topics and groups (in-process admin)', () => {
  let broker: InProcessBroker;
  let admin: InProcessAdmin;

  before(async () => {
    broker = await InProcessBroker.start({ longPollingMinMs: 0 });
    admin = broker.admin();
    await admin.start();
  });
  after(async () => {
    await admin.shutdown();
    await broker.shutdown();
  });

  function registry(t: TestContext, onTypeMismatch?: 'error' | 'warn') {
    const warnings: unknown[] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (msg: string, fields?: unknown) => warnings.push({ msg, fields }),
      error() {},
    };
    const r = new Registry({ drainTimeoutMs: 2_000, logger, ensure: { admin, onTypeMismatch } });
    t.after(() => r.shutdownAll({ timeoutMs: 2_000 }));
    return { r, warnings };
  }

  test('missing FIFO topic and group are created before the jobs and the producer start; messages flow', async (t) => {
    const topic = uniqueName('ens-fifo');
    const group = uniqueName('ens-g');
    const { r } = registry(t);
    const seen: string[] = [];
    const w = waitFor(() => seen.length === 1, 30_000, 'the message');
    r.registerConsumer(
      { jobName: 'j', topic, endpoint: broker.endpoint, consumerGroup: group, topicType: 'FIFO' },
      (_ctx, m) => {
        seen.push(m.body.toString());
        w.poke();
      },
    );
    const report = await r.startAllConsumers();
    assert.deepEqual(report, { createdTopics: [topic], createdGroups: [group], mismatches: [] });
    assert.equal((await admin.describeTopic(topic)).type, 'FIFO');
    assert.equal((await admin.describeGroup(group)).fifo, true);
    const other = uniqueName('ens-delay');
    const producer = await r.registerProducer({
      endpoint: broker.endpoint,
      topics: [topic],
      topicTypes: { [topic]: 'FIFO', [other]: 'DELAY' },
    });
    assert.equal((await admin.describeTopic(other)).type, 'DELAY');
    await producer.send({ topic, body: 'x', messageGroup: 'm' });
    await w.done;
    assert.deepEqual(seen, ['x']);
  });

  test('existing topics and groups are left alone', async (t) => {
    const topic = uniqueName('ens-keep');
    const group = uniqueName('ens-keep-g');
    await admin.createTopic(topic, { type: 'NORMAL', queues: 2 });
    await admin.createGroup(group, { maxDeliveryAttempts: 3 });
    const { r } = registry(t);
    r.registerConsumer({ jobName: 'k', topic, endpoint: broker.endpoint, consumerGroup: group }, () => {});
    const report = await r.startAllConsumers();
    assert.deepEqual(report, { createdTopics: [], createdGroups: [], mismatches: [] });
    assert.equal((await admin.describeTopic(topic)).queues.length, 2);
    assert.equal((await admin.describeGroup(group)).maxDeliveryAttempts, 3);
  });

  test("a topic of another type fails PRECONDITION_FAILED and nothing runs; with 'warn' it is logged and reported", async (t) => {
    const topic = uniqueName('ens-mis');
    await admin.createTopic(topic, { type: 'NORMAL' });
    const strict = registry(t);
    const job = strict.r.registerConsumer(
      { jobName: 'm', topic, endpoint: broker.endpoint, consumerGroup: uniqueName('g'), topicType: 'FIFO' },
      () => {},
    );
    await assert.rejects(strict.r.startAllConsumers(), { code: 'PRECONDITION_FAILED' });
    assert.equal(job.health().state, 'off');
    assert.equal(job.health().sessionsStarted, 0);
    await assert.rejects(
      strict.r.registerProducer({ endpoint: broker.endpoint, topicTypes: { [topic]: 'TRANSACTION' } }),
      { code: 'PRECONDITION_FAILED' },
    );
    assert.deepEqual(strict.r.health().producers, []);

    const lax = registry(t, 'warn');
    lax.r.registerConsumer(
      { jobName: 'w', topic, endpoint: broker.endpoint, consumerGroup: uniqueName('g'), topicType: 'FIFO' },
      () => {},
    );
    const report = await lax.r.startAllConsumers();
    assert.deepEqual(report?.mismatches, [{ topic, declared: 'FIFO', actual: 'NORMAL' }]);
    assert.equal(lax.warnings.length, 1);
  });

  test('bad ensure options and declared types fail INVALID_ARGUMENT', () => {
    assert.throws(() => new Registry({ ensure: { admin: {} as never } }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => new Registry({ ensure: { admin, onTypeMismatch: 'maybe' as never } }), {
      code: 'INVALID_ARGUMENT',
    });
    const r = new Registry({ ensure: { admin } });
    assert.throws(
      () =>
        r.registerConsumer(
          {
            jobName: 'b',
            topic: 't',
            endpoint: broker.endpoint,
            consumerGroup: 'g',
            topicType: 'LIFO' as never,
          },
          () => {},
        ),
      { code: 'INVALID_ARGUMENT' },
    );
  });
});
