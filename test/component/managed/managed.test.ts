/**
 * The managed layer against the in-process broker. Broker, registry and sessions share one fake time
 * source (ManualTime) unless a test needs real time; `drive()` advances it while waiting on observable
 * conditions.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import type { RocketMQError } from '../../../src/errors.js';
import { customizedBackoff } from '../../../src/internal/backoff.js';
import { ConsumeErrorActions, NonRetryableError } from '../../../src/managed/classifier.js';
import type { ConsumerConfig } from '../../../src/managed/config.js';
import type { HandlerContext } from '../../../src/managed/context.js';
import { Registry } from '../../../src/managed/registry.js';
import type { MessageView } from '../../../src/model/message-view.js';
import type { LogFields, Logger } from '../../../src/observability/logger.js';
import type { ManualTime } from '../../../src/testing/index.js';
import { drive, settleIo } from '../../helpers/fake-time.js';
import { type MessageSpec, message, uniqueName } from '../../helpers/in-process-client.js';
import { assertNoExtraResources, resources } from '../../helpers/resources.js';
import { type Fixture, startBroker } from '../in-process-broker/fixture.js';

interface Seen {
  readonly body: string;
  readonly ctx: HandlerContext;
  readonly message: MessageView;
}

interface Setup {
  fx: Fixture;
  time: ManualTime;
  topic: string;
  group: string;
  registry: Registry;
  config: ConsumerConfig;
  logs: Array<{ level: string; msg: string; fields: LogFields | undefined }>;
  send(spec?: Omit<MessageSpec, 'topic'>): Promise<string>;
}

function captureLogger(logs: Setup['logs'], bindings: LogFields = {}): Logger {
  const entry =
    (level: string) =>
    (msg: string, fields?: LogFields): void => {
      logs.push({ level, msg, fields: { ...bindings, ...fields } });
    };
  return {
    debug: entry('debug'),
    info: entry('info'),
    warn: entry('warn'),
    error: entry('error'),
    child: (more) => captureLogger(logs, { ...bindings, ...more }),
  };
}

async function setup(
  t: TestContext,
  options: { fifo?: boolean; queues?: number; config?: Partial<ConsumerConfig>; createTopic?: boolean } = {},
): Promise<Setup> {
  const fx = await startBroker(t, { fakeTime: true });
  const time = fx.time!;
  const topic = uniqueName('mg');
  const group = uniqueName('mg-group');
  if (options.createTopic ?? true) {
    fx.broker.createTopic(topic, { type: options.fifo ? 'FIFO' : 'NORMAL', queues: options.queues ?? 2 });
  }
  fx.broker.createConsumerGroup(group, { fifo: options.fifo ?? false });
  const logs: Setup['logs'] = [];
  const registry = new Registry({
    logger: captureLogger(logs),
    clock: time,
    timers: time,
    startBackoff: customizedBackoff([1_000]),
    startTimeoutMs: 5_000,
    consumerOptions: { clock: time, timers: time },
    // Delivery times of delay messages are computed on the broker's (fake) clock.
    producerOptions: { clock: time },
  });
  t.after(() => registry.shutdownAll({ force: true }));
  const producer = fx.client();
  return {
    fx,
    time,
    topic,
    group,
    registry,
    logs,
    config: {
      jobName: uniqueName('job'),
      topic,
      endpoint: fx.broker.endpoint,
      consumerGroup: group,
      invisibleDurationMs: 10_000,
      ...options.config,
    },
    send: async (spec = {}) => {
      const m = message({ topic, ...spec });
      const res = await producer.send(m);
      assert.equal(res.status?.code, 20000, `send failed: ${res.status?.message}`);
      return m.systemProperties!.messageId;
    },
  };
}

describe('managed consumers', () => {
  test('a registered consumer runs after startAllConsumers; the handler context carries the ids', async (t) => {
    const s = await setup(t);
    const seen: Seen[] = [];
    s.registry.registerConsumer({
      config: s.config,
      handle: (ctx, m) => {
        seen.push({ body: m.body.toString(), ctx, message: m });
        ctx.logger.info('handled');
      },
    });
    assert.equal(
      s.registry.consumer(s.config.jobName)?.state,
      'off',
      'nothing runs before startAllConsumers',
    );
    s.registry.startAllConsumers();
    await drive(s.time, () => s.registry.consumer(s.config.jobName)?.state === 'running', 'running');
    const id = await s.send({
      body: 'hello',
      props: {
        'x-request-id': 'req-1',
        'x-trace-id': '0af7651916cd43dd8448eb211c80319c',
        'x-span-id': 'b7ad6b7169203331',
      },
    });
    await drive(s.time, () => s.fx.broker.stats().acked === 1, 'acked');
    const ctx = seen[0]!.ctx;
    assert.equal(ctx.requestId, 'req-1');
    assert.equal(ctx.jobName, s.config.jobName);
    assert.equal(ctx.topic, s.topic);
    assert.equal(ctx.consumerGroup, s.group);
    assert.equal(ctx.messageId, id);
    assert.equal(ctx.attempt, 1);
    assert.equal(ctx.traceId, '0af7651916cd43dd8448eb211c80319c', 'x-trace-id restored');
    assert.equal(ctx.spanId, 'b7ad6b7169203331');
    const line = s.logs.find((l) => l.msg === 'handled');
    assert.deepEqual(
      { ...line?.fields },
      {
        requestId: 'req-1',
        jobName: s.config.jobName,
        topic: s.topic,
        consumerGroup: s.group,
        messageId: id,
        traceId: '0af7651916cd43dd8448eb211c80319c',
      },
    );
    const h = s.registry.health().consumers[0]!;
    assert.equal(h.handled, 1);
    assert.equal(h.state, 'running');
    assert.ok(h.lastMessageAt instanceof Date);
  });

  test('a message without x-request-id gets a fresh request id', async (t) => {
    const s = await setup(t);
    const ids: string[] = [];
    s.registry.registerConsumer(s.config, (ctx) => {
      ids.push(ctx.requestId);
    });
    s.registry.startAllConsumers();
    await s.send();
    await s.send();
    await drive(s.time, () => ids.length === 2, 'two handled');
    assert.match(ids[0]!, /^[0-9a-f-]{36}$/);
    assert.notEqual(ids[0], ids[1]);
  });

  test('switch off stops the session at once; messages wait; switch on resumes', async (t) => {
    const s = await setup(t);
    const bodies: string[] = [];
    s.registry.registerConsumer(s.config, (_ctx, m) => {
      bodies.push(m.body.toString());
    });
    s.registry.startAllConsumers();
    const job = s.registry.consumer(s.config.jobName)!;
    await drive(s.time, () => job.state === 'running', 'running');
    await s.send({ body: 'before' });
    await drive(s.time, () => bodies.length === 1, 'first handled');

    s.registry.setConsumerSwitch(s.config.jobName, false);
    assert.equal(s.registry.getConsumerSwitch(s.config.jobName), false);
    // The session ends when its receive in flight does (a push long poll lasts at most 5 s): it is
    // not cancelled, so a message it brings is handed back rather than stranded.
    await drive(s.time, () => job.state === 'off', 'off', { maxVirtualMs: 6_000 });
    assert.equal(s.fx.broker.stats().receiveStreams, 0, 'no receive open while off');
    await s.send({ body: 'while off' });
    s.time.advance(30_000);
    await settleIo();
    assert.deepEqual(bodies, ['before'], 'nothing handled while off');

    s.registry.setConsumerSwitch(s.config.jobName, true);
    await drive(s.time, () => bodies.length === 2, 'resumed', { maxVirtualMs: 1_000 });
    assert.deepEqual(bodies, ['before', 'while off']);
    assert.equal(job.health().sessionsStarted, 2);
  });

  test('autoStart false registers the job switched off', async (t) => {
    const s = await setup(t);
    s.registry.registerConsumer(s.config, () => undefined, { autoStart: false });
    s.registry.startAllConsumers();
    await settleIo();
    assert.equal(s.registry.consumer(s.config.jobName)?.state, 'off');
    assert.equal(s.registry.getConsumerSwitch(s.config.jobName), false);
    assert.equal(s.registry.getConsumerSwitch('unknown-job'), false);
  });

  test('a failed start is retried with backoff while the switch is on', async (t) => {
    const s = await setup(t, { createTopic: false });
    const bodies: string[] = [];
    s.registry.registerConsumer(s.config, (_ctx, m) => {
      bodies.push(m.body.toString());
    });
    s.registry.startAllConsumers();
    const job = s.registry.consumer(s.config.jobName)!;
    await drive(s.time, () => job.state === 'backoff', 'first start failed');
    assert.equal(job.health().lastError?.code, 'TOPIC_NOT_FOUND');
    s.fx.broker.createTopic(s.topic);
    await drive(s.time, () => job.state === 'running', 'retried and running', {
      stepMs: 100,
      maxVirtualMs: 5_000,
    });
    assert.ok(job.health().startFailures >= 1);
    await s.send({ body: 'finally' });
    await drive(s.time, () => bodies.length === 1, 'handled');
  });

  test('switching off during the backoff cancels the retry', async (t) => {
    const s = await setup(t, { createTopic: false });
    s.registry.registerConsumer(s.config, () => undefined);
    s.registry.startAllConsumers();
    const job = s.registry.consumer(s.config.jobName)!;
    await drive(s.time, () => job.state === 'backoff', 'backoff');
    s.registry.setConsumerSwitch(s.config.jobName, false);
    assert.equal(job.state, 'off');
    s.fx.broker.createTopic(s.topic);
    s.time.advance(10_000);
    await settleIo();
    assert.equal(job.state, 'off', 'no retry once switched off');
  });
});

describe('error classifier', () => {
  test('requeue (default): delivered again after the invisible duration', async (t) => {
    const s = await setup(t);
    const attempts: number[] = [];
    s.registry.registerConsumer(s.config, (ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt === 1) throw new Error('transient');
    });
    s.registry.startAllConsumers();
    await s.send();
    await drive(s.time, () => attempts.length === 1, 'first attempt');
    const failedAt = s.time.now();
    await drive(s.time, () => attempts.length === 2, 'requeued', { stepMs: 100, maxVirtualMs: 20_000 });
    assert.ok(s.time.now() - failedAt >= 9_900, 'after the 10 s invisible duration');
    assert.deepEqual(attempts, [1, 2]);
    await drive(s.time, () => s.fx.broker.stats().acked === 1, 'acked on the second attempt');
    const h = s.registry.health().consumers[0]!;
    assert.equal(h.requeued, 1);
    assert.equal(h.failed, 1);
    assert.equal(h.handled, 1, 'handled counts the successful attempt only, not the failed one');
    assert.ok(
      s.logs.some((l) => l.level === 'warn' && l.msg === 'handler failed' && l.fields?.action === 'requeue'),
    );
  });

  test('NonRetryableError is acked by the default classifier and never delivered again', async (t) => {
    const s = await setup(t);
    let calls = 0;
    s.registry.registerConsumer(s.config, () => {
      calls++;
      throw new NonRetryableError('order does not exist', { code: 'NOT_FOUND' });
    });
    s.registry.startAllConsumers();
    await s.send();
    await drive(s.time, () => s.fx.broker.stats().acked === 1, 'acked');
    s.time.advance(60_000);
    await settleIo();
    assert.equal(calls, 1);
    assert.equal(s.registry.health().consumers[0]!.acked, 1);
    assert.equal(s.registry.health().consumers[0]!.handled, 0, 'a handler that threw is not handled');
  });

  test('retryLater(ms) redelivers after that delay', async (t) => {
    const s = await setup(t, {
      config: {
        errorClassifier: () => ConsumeErrorActions.retryLater(3_000),
      },
    });
    const attempts: number[] = [];
    s.registry.registerConsumer(s.config, (ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt === 1) throw new Error('later please');
    });
    s.registry.startAllConsumers();
    await s.send();
    await drive(s.time, () => attempts.length === 1, 'first attempt');
    const at = s.time.now();
    await drive(s.time, () => attempts.length === 2, 'retried', { stepMs: 50, maxVirtualMs: 10_000 });
    const waited = s.time.now() - at;
    assert.ok(waited >= 2_900 && waited < 5_000, `retried after ${waited} ms`);
  });

  test('a classifier that throws or answers nonsense falls back to requeue', async (t) => {
    const s = await setup(t, {
      config: {
        errorClassifier: ((_c: unknown, _m: unknown, err: unknown) => {
          if ((err as Error).message === 'a') throw new Error('classifier bug');
          return 'maybe';
        }) as unknown as ConsumerConfig['errorClassifier'],
      },
    });
    const attempts: number[] = [];
    s.registry.registerConsumer(s.config, (ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt === 1) throw new Error('a');
      if (ctx.attempt === 2) throw new Error('b');
    });
    s.registry.startAllConsumers();
    await s.send();
    await drive(s.time, () => attempts.length === 3, 'three attempts', { stepMs: 200, maxVirtualMs: 40_000 });
    assert.equal(s.registry.health().consumers[0]!.requeued, 2);
  });
});

describe('ordered lanes', () => {
  test('messages of one group are handled in order with workerNum 5; groups in parallel', async (t) => {
    const s = await setup(t, { fifo: true, queues: 2, config: { workerNum: 5 } });
    const seen: Array<{ group: string; body: string }> = [];
    let running = 0;
    let maxRunning = 0;
    s.registry.registerConsumer(s.config, async (_ctx, m) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      seen.push({ group: m.messageGroup ?? '', body: m.body.toString() });
      await settleIo(2);
      running--;
    });
    const groups = ['g1', 'g2', 'g3', 'g4'];
    for (let i = 0; i < 5; i++) for (const g of groups) await s.send({ body: `${g}-${i}`, group: g });
    s.registry.startAllConsumers();
    await drive(s.time, () => s.fx.broker.stats().acked === 20, '20 acked', { stepMs: 20 });
    for (const g of groups) {
      assert.deepEqual(
        seen.filter((x) => x.group === g).map((x) => x.body),
        [0, 1, 2, 3, 4].map((i) => `${g}-${i}`),
        `order of ${g}`,
      );
    }
    assert.ok(maxRunning > 1, `groups ran in parallel (max ${maxRunning} at once)`);
  });
});

describe('producers, waitStop and shutdown', () => {
  test('send returns the receipt; sendAsync, sendDelay and sendDelayAsync deliver', async (t) => {
    const s = await setup(t);
    // RocketMQ 5 checks message types: delay messages go to a DELAY topic.
    const delayTopic = uniqueName('mg-delay');
    s.fx.broker.createTopic(delayTopic, { type: 'DELAY' });
    const producer = await s.registry.registerProducer({
      endpoint: s.fx.broker.endpoint,
      topics: [s.topic, delayTopic],
    });
    assert.ok(producer.id.length > 0);
    const receipt = await producer.send({ topic: s.topic, body: 'sync' });
    assert.match(receipt.messageId, /^[0-9A-F]{34}$/);
    const asyncDone = new Promise<string>((resolve, reject) =>
      producer.sendAsync({ topic: s.topic, body: 'async' }, (err, r) =>
        err ? reject(err) : resolve(r!.messageId),
      ),
    );
    assert.match(await asyncDone, /^[0-9A-F]{34}$/);
    const delayed = await producer.sendDelay({ topic: delayTopic, body: 'delayed' }, 5_000);
    assert.ok(delayed.messageId);
    const delayedAsync = new Promise<void>((resolve, reject) =>
      producer.sendDelayAsync({ topic: delayTopic, body: 'delayed-async' }, 5_000, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    await delayedAsync;
    assert.equal(s.fx.broker.stats().scheduled, 2, 'two delay messages held');
    const failed = new Promise<RocketMQError>((resolve) =>
      producer.sendAsync({ topic: 'bad topic!', body: 'x' }, (err) => resolve(err!)),
    );
    assert.equal((await failed).code, 'ILLEGAL_TOPIC');
    assert.throws(() => producer.sendAsync({ topic: s.topic, body: 'x' }, 'nope' as never), {
      code: 'INVALID_ARGUMENT',
    });
  });

  test('a send from inside a handler carries the handler request id', async (t) => {
    const s = await setup(t);
    const out = uniqueName('mg-out');
    s.fx.broker.createTopic(out);
    const producer = await s.registry.registerProducer({ endpoint: s.fx.broker.endpoint, topics: [out] });
    s.registry.registerConsumer(s.config, async (_ctx, m) => {
      await producer.send({ topic: out, body: `echo ${m.body.toString()}` });
    });
    s.registry.startAllConsumers();
    await s.send({ body: 'ping', props: { 'x-request-id': 'req-77' } });
    // The handler's send is done once the ping is acked (the ack follows the handler).
    await drive(s.time, () => s.fx.broker.stats().acked === 1, 'ping handled');
    const reader = s.fx.client();
    const session = await reader.consumerSession('mg-reader', [out]);
    t.after(() => session.telemetry.close());
    const r = await reader.receive({ group: 'mg-reader', topic: out });
    assert.equal(r.messages.length, 1);
    assert.equal(Buffer.from(r.messages[0]!.body).toString(), 'echo ping');
    assert.equal(r.messages[0]!.userProperties['x-request-id'], 'req-77');
  });

  test('waitStop ends on shutdownAll: in-progress handlers finish and are acked, producers close', async (t) => {
    const s = await setup(t, { queues: 1, config: { workerNum: 1 } });
    const release: Array<() => void> = [];
    const bodies: string[] = [];
    s.registry.registerConsumer(s.config, async (_ctx, m) => {
      bodies.push(m.body.toString());
      await new Promise<void>((r) => release.push(r));
    });
    const producer = await s.registry.registerProducer({ endpoint: s.fx.broker.endpoint, topics: [s.topic] });
    s.registry.startAllConsumers();
    await s.send({ body: 'one' });
    await s.send({ body: 'two' });
    await drive(s.time, () => bodies.length === 1, 'one in progress');
    let stopped = false;
    const waiting = s.registry.waitStop({ timeoutMs: 20_000 }).then(() => {
      stopped = true;
    });
    await settleIo();
    assert.equal(stopped, false, 'waitStop waits for a shutdown request');
    void s.registry.shutdownAll();
    await drive(
      s.time,
      () => release.length === 1 && s.registry.consumer(s.config.jobName)!.state === 'stopping',
      'draining',
    );
    assert.equal(stopped, false, 'the in-progress handler is awaited');
    release[0]!();
    await drive(s.time, () => stopped, 'stopped');
    await waiting;
    assert.equal(s.fx.broker.stats().acked, 1, 'the handled message was acked');
    assert.equal(s.fx.broker.stats().inflight, 0, 'the waiting one was handed back');
    assert.deepEqual(bodies, ['one']);
    await assert.rejects(producer.send({ topic: s.topic, body: 'late' }), { code: 'CLOSED' });
    assert.throws(() => s.registry.registerConsumer({ ...s.config, jobName: 'late' }, () => undefined), {
      code: 'CLOSED',
    });
    await assert.rejects(s.registry.registerProducer({ endpoint: s.fx.broker.endpoint }), { code: 'CLOSED' });
  });

  test('waitStop({ signal }) stops when the signal aborts; force does not wait for handlers', async (t) => {
    const s = await setup(t);
    const release: Array<() => void> = [];
    const signals: AbortSignal[] = [];
    s.registry.registerConsumer(s.config, async (ctx) => {
      signals.push(ctx.signal);
      await new Promise<void>((r) => release.push(r));
    });
    s.registry.startAllConsumers();
    await s.send();
    await drive(s.time, () => release.length === 1, 'in progress');
    const ac = new AbortController();
    const waiting = s.registry.waitStop({ signal: ac.signal, force: true });
    ac.abort();
    await drive(s.time, () => s.registry.consumer(s.config.jobName)!.state === 'closed', 'closed', {
      maxVirtualMs: 1_000,
    });
    await waiting;
    assert.equal(signals[0]?.aborted, true, 'the handler was told to stop');
    assert.equal(s.fx.broker.stats().acked, 0);
    release[0]!();
  });

  test('handleShutdownSignals: SIGTERM requests the shutdown; the remover detaches', async (t) => {
    const s = await setup(t);
    const before = process.listenerCount('SIGTERM');
    const remove = s.registry.handleShutdownSignals(['SIGTERM']);
    assert.equal(process.listenerCount('SIGTERM'), before + 1);
    const waiting = s.registry.waitStop();
    process.emit('SIGTERM', 'SIGTERM');
    await waiting;
    assert.equal(s.registry.shuttingDown, true);
    remove();
    assert.equal(process.listenerCount('SIGTERM'), before);
  });

  test('after waitStop nothing is left running', async (t) => {
    const baseline = resources();
    const fx = await startBroker(t, { fakeTime: false });
    const topic = uniqueName('mg-leak');
    fx.broker.createTopic(topic);
    const registry = new Registry();
    registry.registerConsumer(
      { jobName: 'leak', topic, endpoint: fx.broker.endpoint, consumerGroup: uniqueName('mg-leak-g') },
      () => undefined,
    );
    registry.startAllConsumers();
    const producer = await registry.registerProducer({ endpoint: fx.broker.endpoint, topics: [topic] });
    await producer.send({ topic, body: 'x' });
    await registry.consumer('leak')!.settled();
    await registry.shutdownAll({ timeoutMs: 5_000 });
    await fx.broker.shutdown();
    await assertNoExtraResources(baseline);
  });
});

describe('bad input', () => {
  const base: ConsumerConfig = { jobName: 'j', topic: 't', endpoint: '127.0.0.1:1', consumerGroup: 'g' };
  const cases: Array<[string, Partial<Record<keyof ConsumerConfig, unknown>>]> = [
    ['no jobName', { jobName: '' }],
    ['no topic', { topic: undefined }],
    ['no endpoint', { endpoint: ' ' }],
    ['no group', { consumerGroup: 1 }],
    ['workerNum 0', { workerNum: 0 }],
    ['maxMessageNum 33', { maxMessageNum: 33 }],
    ['invisible -1', { invisibleDurationMs: -1 }],
    ['classifier not a function', { errorClassifier: 'ack' }],
    ['key without secret', { accessKey: 'ak' }],
  ];
  for (const [name, patch] of cases) {
    test(`registerConsumer: ${name} → INVALID_ARGUMENT`, () => {
      const r = new Registry();
      assert.throws(() => r.registerConsumer({ ...base, ...patch } as ConsumerConfig, () => undefined), {
        code: 'INVALID_ARGUMENT',
      });
    });
  }

  test('duplicate jobName, unknown switch, bad switch value, bad definitions', async () => {
    const r = new Registry();
    r.registerConsumer(base, () => undefined);
    assert.throws(() => r.registerConsumer(base, () => undefined), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => r.setConsumerSwitch('nope', true), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => r.setConsumerSwitch('j', 'on' as never), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => r.registerConsumer({ config: base } as never), { code: 'INVALID_ARGUMENT' });
    assert.throws(
      () => r.registerConsumer({ ...base, jobName: 'k' }, () => undefined, { autoStart: 'yes' as never }),
      {
        code: 'INVALID_ARGUMENT',
      },
    );
    assert.throws(() => ConsumeErrorActions.retryLater(-1), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(r.registerProducer({ endpoint: '' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(r.registerProducer(null as never), { code: 'INVALID_ARGUMENT' });
    await r.shutdownAll();
  });
});
