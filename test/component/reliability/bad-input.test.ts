/**
 * The bad-input catalogue (reliability-matrix rows A1–A7, E5, B6): names, sizes, types, options, closed
 * clients, double start/shutdown and malformed server answers, across the Producer, the SimpleConsumer
 * and the in-process broker's public API.
 *
 * Every case must end in its typed error with a stable code (a `RocketMQError` code for the clients; the
 * documented `RangeError`/`TypeError`/`BrokerStatusError` for the test broker's own API), with nothing
 * sent for the client-checkable ones (the broker's call counters do not move), nothing stored for the
 * ones only the server can check, and no crash (no unhandled rejection).
 *
 * The "limits" groups take every numeric or length limit at −1 / = / +1 through the public API (the unit
 * tests check the same rules on the validators alone), with an accepted neighbour that must go through.
 * The last test counts the cases by category (see the "Bad input" section of test/reliability-matrix.md).
 *
 * Other cases already covered elsewhere are not repeated here: test/component/producer/validation.test.ts,
 * test/component/consumer/simple-consumer.test.ts, test/component/producer/producer.test.ts (lifecycle),
 * test/unit/producer/options.test.ts, test/unit/consumer/simple-consumer-options.test.ts and the
 * in-process broker's own tests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SimpleConsumer, type SimpleConsumerOptions } from '../../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../../src/errors.js';
import { PushConsumer } from '../../../src/consumer/push-consumer.js';
import { FilterExpression } from '../../../src/model/filter-expression.js';
import { RESERVED_PROPERTY_KEYS, SYSTEM_TOPICS } from '../../../src/model/message.js';
import type { MessageView } from '../../../src/model/message-view.js';
import { Producer, type ProducerOptions } from '../../../src/producer/index.js';
import { type BrokerStats, InProcessBroker, type RpcName } from '../../../src/testing/index.js';
import { uniqueName } from './setup.js';

/** What a case must produce. */
type Expected =
  | { readonly code: string } // a RocketMQError with this code
  | { readonly ok: true } // an accepted call (idempotent lifecycle cases)
  | { readonly error: 'RangeError' | 'TypeError' | 'Error'; readonly match?: RegExp }
  | { readonly brokerStatus: number }; // BrokerStatusError with this code

/** How much may reach the broker. */
type Traffic =
  | 'nothing' // client-checkable: no call at all (Telemetry included)
  | 'no-data' // no data-plane call (the client may be connected and heartbeating)
  | 'refused' // the server checks it: calls happen, nothing is stored
  | { readonly none: readonly RpcName[] } // these RPCs are not called
  | { readonly sends: number; readonly stored?: number } // accepted: this many SendMessage calls, stored messages (default: sends)
  | 'setup'; // the case sends legitimate traffic itself and asserts what matters

interface Case {
  readonly name: string;
  readonly expect: Expected;
  readonly traffic: Traffic;
  readonly run: () => unknown;
}

const DATA_PLANE: readonly RpcName[] = [
  'QueryRoute',
  'SendMessage',
  'RecallMessage',
  'EndTransaction',
  'ReceiveMessage',
  'AckMessage',
  'ChangeInvisibleDuration',
  'ForwardMessageToDeadLetterQueue',
  'NotifyClientTermination',
];

const code = (c: string): Expected => ({ code: c });
const IA = code('INVALID_ARGUMENT');
const AP = code('ILLEGAL_ACCESS_POINT');

const unhandled: unknown[] = [];
const onUnhandled = (r: unknown): void => {
  unhandled.push(r);
};

let broker: InProcessBroker;
let topic: string;
let fifoTopic: string;
let delayTopic: string;
let txTopic: string;
let producer: Producer;
let idleProducer: Producer;
let closedProducer: Producer;
let consumer: SimpleConsumer;
let idleConsumer: SimpleConsumer;
let closedConsumer: SimpleConsumer;
let view: MessageView;
const cleanups: Array<() => Promise<unknown>> = [];

const ep = (): string => broker.endpoint;
const newProducer = (o: Partial<ProducerOptions> = {}): Producer => {
  const p = new Producer({ endpoints: ep(), ...o } as ProducerOptions);
  cleanups.push(() => p.shutdown({ timeoutMs: 500 }));
  return p;
};
const newConsumer = (o: Partial<SimpleConsumerOptions> = {}): SimpleConsumer => {
  const c = new SimpleConsumer({
    endpoints: ep(),
    consumerGroup: uniqueName('bad-g'),
    subscriptions: { [topic]: '*' },
    awaitDurationMs: 100,
    ...o,
  } as SimpleConsumerOptions);
  cleanups.push(() => c.shutdown({ timeoutMs: 500 }));
  return c;
};
/** Sends a valid message with `over` applied (a function when it names a topic made in `before`). */
const send = (over: Record<string, unknown> | (() => Record<string, unknown>), options?: unknown) => () =>
  producer.send(
    { topic, body: 'x', ...(typeof over === 'function' ? over() : over) } as never,
    options as never,
  );
/** Runs `fn` to completion (a thrown error or a rejection is its result). */
const drainIterator = (it: AsyncIterable<unknown>) => async () => {
  for await (const _ of it) break;
};

const PRODUCER_OPTIONS: readonly Case[] = [
  ['options null', null],
  ['options an array', []],
  ['endpoints without a port ("host:")', { endpoints: 'host:' }, AP],
  ['endpoints without a host (":8081")', { endpoints: ':8081' }, AP],
  ['endpoints with port 0', { endpoints: '127.0.0.1:0' }, AP],
  ['endpoints with a negative port', { endpoints: '127.0.0.1:-1' }, AP],
  ['endpoints with a space', { endpoints: '127.0.0.1: 80' }, AP],
  ['endpoints mixing an IPv4 address and a domain', { endpoints: '127.0.0.1:1;example.com:2' }, AP],
  ['maxAttempts -1', { maxAttempts: -1 }],
  ['maxAttempts a string', { maxAttempts: '3' }],
  ['requestTimeoutMs negative', { requestTimeoutMs: -5 }],
  ['requestTimeoutMs Infinity', { requestTimeoutMs: Number.POSITIVE_INFINITY }],
  ['requestTimeoutMs a string', { requestTimeoutMs: '1000' }],
  ['tls with a cert but no key', { tls: { cert: 'x' } }],
  ['tls a string', { tls: 'yes' }],
  ['topics with a non-string', { topics: [1] }],
  ['topics with a 128-char name', { topics: ['x'.repeat(128)] }, code('ILLEGAL_TOPIC')],
  ['topics with a retry topic', { topics: ['%RETRY%g'] }, code('ILLEGAL_TOPIC')],
  ['isolationProbeIntervalMs NaN', { isolationProbeIntervalMs: Number.NaN }],
  ['clientId a number', { clientId: 5 }],
  ['credentials a string', { credentials: 'ak:sk' }],
].map(([name, options, expect]) => ({
  name: name as string,
  expect: (expect ?? IA) as Expected,
  traffic: 'nothing' as const,
  run: () =>
    new Producer(
      options === null || Array.isArray(options)
        ? (options as never)
        : ({ endpoints: ep(), ...(options as object) } as never),
    ),
}));

const PRODUCER_LIFECYCLE: readonly Case[] = [
  {
    name: 'start with timeoutMs -1 (and still startable)',
    expect: IA,
    traffic: 'nothing',
    run: async () => {
      const p = newProducer();
      try {
        await p.start({ timeoutMs: -1 });
      } finally {
        assert.equal(p.state, 'created', 'a bad option must not burn the producer');
      }
    },
  },
  {
    name: 'start with options a string',
    expect: IA,
    traffic: 'nothing',
    run: () => newProducer().start('x' as never),
  },
  {
    name: 'start with a signal that is not an AbortSignal',
    expect: IA,
    traffic: 'nothing',
    run: () => newProducer().start({ signal: {} as never }),
  },
  {
    name: 'start with a pre-aborted signal',
    expect: code('ABORTED'),
    traffic: 'nothing',
    run: () => newProducer().start({ signal: AbortSignal.abort() }),
  },
  {
    name: 'sendBatch before start',
    expect: code('INVALID_STATE'),
    traffic: 'nothing',
    run: () => idleProducer.sendBatch([{ topic, body: 'x' }]),
  },
  {
    name: 'transaction send before start',
    expect: code('INVALID_STATE'),
    traffic: 'nothing',
    run: () => idleProducer.beginTransaction().send({ topic: txTopic, body: 'x' }),
  },
  {
    name: 'recallMessage before start',
    expect: code('INVALID_STATE'),
    traffic: 'nothing',
    run: () => idleProducer.recallMessage(delayTopic, 'h'),
  },
  {
    name: 'shutdown before start (resolves, sends no termination notice)',
    expect: { ok: true },
    traffic: 'nothing',
    run: () => newProducer().shutdown(),
  },
  {
    name: 'sendBatch after shutdown',
    expect: code('CLOSED'),
    traffic: 'nothing',
    run: () => closedProducer.sendBatch([{ topic, body: 'x' }]),
  },
  {
    name: 'recallMessage after shutdown',
    expect: code('CLOSED'),
    traffic: 'nothing',
    run: () => closedProducer.recallMessage(delayTopic, 'h'),
  },
  {
    name: 'shutdown again after shutdown (resolves)',
    expect: { ok: true },
    traffic: 'nothing',
    run: () => closedProducer.shutdown(),
  },
  {
    name: 'credentials with a numeric access key (at start)',
    expect: IA,
    traffic: 'nothing',
    run: () => newProducer({ credentials: { accessKey: 1, accessSecret: 'x' } as never }).start(),
  },
  {
    name: 'credentials provider that throws (at start)',
    expect: code('INTERNAL'),
    traffic: 'nothing',
    run: () =>
      newProducer({
        credentials: () => {
          throw new Error('vault down');
        },
      }).start({ timeoutMs: 3_000 }),
  },
  {
    name: 'credentials provider returning null (at start)',
    expect: IA,
    traffic: 'nothing',
    run: () => newProducer({ credentials: (() => null) as never }).start({ timeoutMs: 3_000 }),
  },
  {
    name: 'send after a failed start',
    expect: code('INVALID_STATE'),
    traffic: { none: ['SendMessage'] },
    run: async () => {
      const p = newProducer({ topics: ['no-such-topic-bad-input'] });
      await p.start().catch(() => {});
      return p.send({ topic, body: 'x' });
    },
  },
];

const PRODUCER_MESSAGES: readonly Case[] = (
  [
    ['message a string', () => producer.send('hello' as never), IA],
    ['message an array', () => producer.send([] as never), IA],
    ['topic missing', () => producer.send({ body: 'x' } as never), IA],
    ['body missing', () => producer.send({ topic } as never), IA],
    ['body an object', send({ body: {} }), IA],
    ['body null', send({ body: null }), IA],
    ['tag a number', send({ tag: 5 }), IA],
    ['tag over 16 KiB', send({ tag: 'a'.repeat(16 * 1024 + 1) }), code('MESSAGE_PROPERTIES_TOO_LARGE')],
    ['tag with \\u0000', send({ tag: 'a\u0000' }), code('ILLEGAL_MESSAGE_TAG')],
    ['key a number', send({ keys: [1] }), IA],
    ['key an empty string', send({ keys: [''] }), code('ILLEGAL_MESSAGE_KEY')],
    [
      'property key with a control char',
      send({ properties: { 'a\u0001': 'v' } }),
      code('ILLEGAL_MESSAGE_PROPERTY_KEY'),
    ],
    [
      'property value with a control char',
      send({ properties: { a: 'v\u0000' } }),
      code('ILLEGAL_MESSAGE_PROPERTY_KEY'),
    ],
    ['properties an array of pairs', send({ properties: [['a', 'b']] }), IA],
    ['properties a string', send({ properties: 'a=b' }), IA],
    ['message group a number', send(() => ({ topic: fifoTopic, messageGroup: 5 })), IA],
    [
      'message group with a control char',
      send(() => ({ topic: fifoTopic, messageGroup: 'g\u0001' })),
      code('ILLEGAL_MESSAGE_GROUP'),
    ],
    ['delay NaN', send(() => ({ topic: delayTopic, delayMs: Number.NaN })), code('ILLEGAL_DELIVERY_TIME')],
    ['delivery timestamp a string', send(() => ({ topic: delayTopic, deliveryTimestamp: 'tomorrow' })), IA],
    [
      'delivery timestamp and delay together',
      send(() => ({ topic: delayTopic, deliveryTimestamp: Date.now() + 5_000, delayMs: 5_000 })),
      code('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'),
    ],
    ['priority a string', send({ priority: 'high' }), IA],
    ['priority above 2^31 − 1', send({ priority: 2 ** 31 }), IA],
    [
      'lite topic and message group together',
      send({ liteTopic: 'lt', messageGroup: 'g' }),
      code('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'),
    ],
    ['lite topic a number', send({ liteTopic: 5 }), IA],
    [
      'FIFO message to a NORMAL topic',
      send({ messageGroup: 'g' }),
      code('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'),
    ],
    [
      'DELAY message to a NORMAL topic',
      send({ delayMs: 1_000 }),
      code('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'),
    ],
    ['send options a string', send({}, 'x'), IA],
    ['send timeoutMs NaN', send({}, { timeoutMs: Number.NaN }), IA],
    ['send timeoutMs 0', send({}, { timeoutMs: 0 }), IA],
    ['send traceId a number', send({}, { traceId: 5 }), IA],
    ['send spanId a number', send({}, { spanId: 5 }), IA],
    ['send with a pre-aborted signal', send({}, { signal: AbortSignal.abort() }), code('ABORTED')],
    ['batch not an array', () => producer.sendBatch({} as never), IA],
    [
      'batch with a DELAY message',
      () => producer.sendBatch([{ topic, body: 'a', delayMs: 10 }]),
      code('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'),
    ],
    ['batch with a null element', () => producer.sendBatch([null] as never), IA],
    ['batch with bad options', () => producer.sendBatch([{ topic, body: 'a' }], { timeoutMs: -1 }), IA],
    ['recall handle a number', () => producer.recallMessage(delayTopic, 5 as never), IA],
    [
      'recall options with a bad signal',
      () => producer.recallMessage(delayTopic, 'h', { signal: 'x' } as never),
      IA,
    ],
    [
      'transaction message with a message group',
      () => producer.beginTransaction().send({ topic: txTopic, body: 'x', messageGroup: 'g' }),
      code('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'),
    ],
    [
      'transaction message with a priority',
      () => producer.beginTransaction().send({ topic: txTopic, body: 'x', priority: 1 }),
      code('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'),
    ],
    ['transaction message null', () => producer.beginTransaction().send(null as never), IA],
  ] as const
).map(([name, run, expect]) => ({ name, run, expect, traffic: 'no-data' as const }));

const SERVER_CHECKED: readonly Case[] = [
  {
    name: 'send to an unknown topic',
    expect: code('TOPIC_NOT_FOUND'),
    traffic: 'refused',
    run: () => producer.send({ topic: 'no-such-topic-x1', body: 'x' }),
  },
  {
    name: 'delay beyond the server maximum (24 h)',
    expect: code('ILLEGAL_DELIVERY_TIME'),
    traffic: 'refused',
    run: () => producer.send({ topic: delayTopic, body: 'x', delayMs: 24 * 3_600_000 + 60_000 }),
  },
  {
    name: 'recall with a garbage handle',
    expect: code('INTERNAL_SERVER_ERROR'),
    traffic: 'refused',
    run: () => producer.recallMessage(delayTopic, 'garbage-handle'),
  },
  {
    name: 'ack with a forged receipt handle',
    expect: code('INTERNAL_SERVER_ERROR'),
    traffic: 'refused',
    run: () =>
      consumer.ack(
        Object.assign(Object.create(Object.getPrototypeOf(view)), view, { receiptHandle: 'garbage' }),
      ),
  },
  {
    name: 'receive with an unparsable SQL filter (the proxy answers 50001 "parse the consumer\'s subscription failed")',
    expect: code('ILLEGAL_FILTER_EXPRESSION'),
    traffic: 'refused',
    run: async () => {
      const c = newConsumer({ subscriptions: { [topic]: FilterExpression.sql('a >') } });
      await c.start();
      return c.receive(1, 10_000);
    },
  },
];

const CONSUMER_OPTIONS: readonly Case[] = (
  [
    ['options null', null, IA],
    ['endpoints without a port', { endpoints: 'host:' }, code('ILLEGAL_ACCESS_POINT')],
    ['consumerGroup a number', { consumerGroup: 5 }, IA],
    ['consumerGroup with non-ASCII letters', { consumerGroup: 'grüppe' }, code('ILLEGAL_CONSUMER_GROUP')],
    ['subscriptions a Map', { subscriptions: new Map([['t', '*']]) }, IA],
    ['subscription topic of 256 chars', { subscriptions: { ['t'.repeat(256)]: '*' } }, code('ILLEGAL_TOPIC')],
    ['filter a plain object', { subscriptions: { t: { type: 'TAG', expression: '*' } } }, IA],
    ['filter tag with a single |', { subscriptions: { t: 'a|b' } }, code('ILLEGAL_FILTER_EXPRESSION')],
    ['awaitDurationMs negative', { awaitDurationMs: -1 }, IA],
    ['awaitDurationMs NaN', { awaitDurationMs: Number.NaN }, IA],
    ['requestTimeoutMs 0', { requestTimeoutMs: 0 }, IA],
    ['minInvisibleDurationMs 0', { minInvisibleDurationMs: 0 }, IA],
    ['tls with a cert but no key', { tls: { cert: 'x' } }, IA],
    ['tls a number', { tls: 1 }, IA],
  ] as const
).map(([name, options, expect]) => ({
  name,
  expect,
  traffic: 'nothing' as const,
  run: () =>
    new SimpleConsumer(
      options === null ? (null as never) : ({ endpoints: ep(), consumerGroup: 'g', ...options } as never),
    ),
}));

const CONSUMER_CALLS: readonly Case[] = (
  [
    ['receive maxMessages NaN', () => consumer.receive(Number.NaN, 30_000), IA],
    ['receive maxMessages a string', () => consumer.receive('3' as never, 30_000), IA],
    ['receive maxMessages -1', () => consumer.receive(-1, 30_000), IA],
    ['receive invisibleDurationMs NaN', () => consumer.receive(1, Number.NaN), IA],
    ['receive invisibleDurationMs a string', () => consumer.receive(1, '30000' as never), IA],
    ['receive options a string', () => consumer.receive(1, 30_000, 'x' as never), IA],
    ['receive signal not an AbortSignal', () => consumer.receive(1, 30_000, { signal: {} } as never), IA],
    ['receive timeoutMs 0', () => consumer.receive(1, 30_000, { timeoutMs: 0 }), IA],
    ['ack null', () => consumer.ack(null as never), IA],
    ['ack undefined', () => consumer.ack(undefined as never), IA],
    ['ack a string', () => consumer.ack('rh' as never), IA],
    [
      'changeInvisibleDuration over 12 h',
      () => consumer.changeInvisibleDuration(view, 12 * 3_600_000 + 1),
      code('ILLEGAL_INVISIBLE_TIME'),
    ],
    ['changeInvisibleDuration a string', () => consumer.changeInvisibleDuration(view, '1000' as never), IA],
    ['changeInvisibleDuration of null', () => consumer.changeInvisibleDuration(null as never, 1_000), IA],
    ['messages() maxMessages 0', drainIterator(consumerMessages({ maxMessages: 0 })), IA],
    [
      'messages() invisible duration below the minimum',
      drainIterator(consumerMessages({ invisibleDurationMs: 5 })),
      code('ILLEGAL_INVISIBLE_TIME'),
    ],
    ['messages() signal not an AbortSignal', drainIterator(consumerMessages({ signal: {} as never })), IA],
    ['unsubscribe an invalid name', () => consumer.unsubscribe('bad topic'), code('ILLEGAL_TOPIC')],
    ['unsubscribe a number', () => consumer.unsubscribe(5 as never), IA],
    ['subscribe with bad call options', () => consumer.subscribe(topic, '*', { timeoutMs: -1 }), IA],
  ] as const
).map(([name, run, expect]) => ({ name, run, expect, traffic: 'no-data' as const }));

function consumerMessages(options: Record<string, unknown>): AsyncIterable<unknown> {
  return {
    [Symbol.asyncIterator]: () => consumer.messages(options as never)[Symbol.asyncIterator](),
  };
}

const CONSUMER_LIFECYCLE: readonly Case[] = [
  {
    name: 'ack before start',
    expect: code('INVALID_STATE'),
    traffic: 'nothing',
    run: () => idleConsumer.ack(view),
  },
  {
    name: 'changeInvisibleDuration before start',
    expect: code('INVALID_STATE'),
    traffic: 'nothing',
    run: () => idleConsumer.changeInvisibleDuration(view, 1_000),
  },
  {
    name: 'start with a pre-aborted signal',
    expect: code('ABORTED'),
    traffic: 'nothing',
    run: () => newConsumer().start({ signal: AbortSignal.abort() }),
  },
  {
    name: 'start with timeoutMs -1',
    expect: IA,
    traffic: 'nothing',
    run: () => newConsumer().start({ timeoutMs: -1 }),
  },
  {
    name: 'shutdown before start (resolves, sends nothing)',
    expect: { ok: true },
    traffic: 'nothing',
    run: () => newConsumer().shutdown(),
  },
  {
    name: 'concurrent double start (one handshake)',
    expect: { ok: true },
    traffic: 'setup',
    run: async () => {
      const c = newConsumer();
      const telemetry = broker.stats().calls.Telemetry;
      await Promise.all([c.start(), c.start()]);
      assert.equal(broker.stats().calls.Telemetry - telemetry, 1, 'one telemetry stream');
    },
  },
  {
    name: 'ack after shutdown',
    expect: code('CLOSED'),
    traffic: 'nothing',
    run: () => closedConsumer.ack(view),
  },
  {
    name: 'changeInvisibleDuration after shutdown',
    expect: code('CLOSED'),
    traffic: 'nothing',
    run: () => closedConsumer.changeInvisibleDuration(view, 1_000),
  },
];

const BROKER_API: readonly Case[] = [
  {
    name: 'start with longPollingMinMs above the max',
    expect: { error: 'RangeError' },
    traffic: 'nothing',
    run: () => InProcessBroker.start({ longPollingMinMs: 10, longPollingMaxMs: 5 }),
  },
  {
    name: 'start with a negative maxBodySize',
    expect: { error: 'RangeError' },
    traffic: 'nothing',
    run: () => InProcessBroker.start({ maxBodySize: -1 }),
  },
  {
    name: 'start with defaultQueueCount 0',
    expect: { error: 'RangeError' },
    traffic: 'nothing',
    run: () => InProcessBroker.start({ defaultQueueCount: 0 }),
  },
  {
    name: 'start with receiveBatchSize 0',
    expect: { error: 'RangeError' },
    traffic: 'nothing',
    run: () => InProcessBroker.start({ receiveBatchSize: 0 }),
  },
  {
    name: 'start with min invisible above max invisible',
    expect: { error: 'RangeError' },
    traffic: 'nothing',
    run: () => InProcessBroker.start({ minInvisibleDurationMs: 10, maxInvisibleDurationMs: 5 }),
  },
  {
    name: 'start with clientExpiryMs NaN',
    expect: { error: 'RangeError' },
    traffic: 'nothing',
    run: () => InProcessBroker.start({ clientExpiryMs: Number.NaN }),
  },
  {
    name: 'start on a port in use',
    expect: { error: 'Error', match: /EADDRINUSE|address/i },
    traffic: 'nothing',
    run: () => InProcessBroker.start({ port: broker.port }),
  },
  {
    name: 'createTopic with an invalid name',
    expect: { brokerStatus: 40002 },
    traffic: 'nothing',
    run: () => broker.createTopic('bad topic'),
  },
  {
    name: 'createTopic of a system topic',
    expect: { brokerStatus: 40002 },
    traffic: 'nothing',
    run: () => broker.createTopic('TBW102'),
  },
  {
    name: 'createTopic with 0 queues',
    expect: { error: 'RangeError' },
    traffic: 'nothing',
    run: () => broker.createTopic(uniqueName('q0'), { queues: 0 }),
  },
  {
    name: 'createTopic with 1.5 queues',
    expect: { error: 'RangeError' },
    traffic: 'nothing',
    run: () => broker.createTopic(uniqueName('q15'), { queues: 1.5 }),
  },
  {
    name: 'createTopic with an unknown type',
    expect: { error: 'RangeError' },
    traffic: 'nothing',
    run: () => broker.createTopic(uniqueName('weird'), { type: 'WEIRD' as never }),
  },
  {
    name: 'createConsumerGroup with an invalid name',
    expect: { brokerStatus: 40003 },
    traffic: 'nothing',
    run: () => broker.createConsumerGroup('bad group'),
  },
  {
    name: 'createConsumerGroup with a system prefix',
    expect: { brokerStatus: 40003 },
    traffic: 'nothing',
    run: () => broker.createConsumerGroup('CID_RMQ_SYS_x'),
  },
  {
    name: 'createConsumerGroup with maxDeliveryAttempts 0',
    expect: { error: 'RangeError' },
    traffic: 'nothing',
    run: () => broker.createConsumerGroup(uniqueName('g0'), { maxDeliveryAttempts: 0 }),
  },
  {
    name: 'faults.delay negative',
    expect: { error: 'RangeError' },
    traffic: 'nothing',
    run: () => broker.faults.delay('SendMessage', -1),
  },
  {
    name: 'faults.delay NaN',
    expect: { error: 'RangeError' },
    traffic: 'nothing',
    run: () => broker.faults.delay('SendMessage', Number.NaN),
  },
  {
    name: 'faults.failNext with n = -1',
    expect: { error: 'RangeError' },
    traffic: 'nothing',
    run: () => broker.faults.failNext('SendMessage', -1, { code: 50001 }),
  },
  {
    name: 'faults.failNext with n = 1.5',
    expect: { error: 'RangeError' },
    traffic: 'nothing',
    run: () => broker.faults.failNext('SendMessage', 1.5, { code: 50001 }),
  },
  {
    name: 'faults.failNext without a code',
    expect: { error: 'RangeError' },
    traffic: 'nothing',
    run: () => broker.faults.failNext('SendMessage', 1, {}),
  },
  {
    name: 'waitForTelemetryReply with an aborted signal',
    expect: { error: 'Error', match: /stop waiting/ },
    traffic: 'nothing',
    run: () => broker.waitForTelemetryReply(() => false, AbortSignal.abort(new Error('stop waiting'))),
  },
];

/** Malformed server answers not covered by protocol-faults.test.ts. */
const MALFORMED: readonly Case[] = [
  {
    name: 'QueryRoute answered without a status (at start)',
    expect: code('INTERNAL'),
    traffic: 'setup',
    run: withMalformed('QueryRoute', 'no-status', () => newProducer({ topics: [topic] }).start()),
  },
  {
    name: 'EndTransaction answered without a status',
    expect: code('INTERNAL'),
    traffic: 'setup',
    run: async () => {
      const tx = producer.beginTransaction();
      await tx.send({ topic: txTopic, body: 'half' });
      return withMalformed('EndTransaction', 'no-status', () => tx.commit())();
    },
  },
  {
    name: 'ChangeInvisibleDuration answered without a status',
    expect: code('INTERNAL'),
    traffic: 'setup',
    run: async () => {
      await producer.send({ topic, body: 'to-extend' });
      const [v] = await consumer.receive(1, 30_000);
      return withMalformed('ChangeInvisibleDuration', 'no-status', () =>
        consumer.changeInvisibleDuration(v!, 30_000),
      )();
    },
  },
  {
    name: 'RecallMessage answered without a status',
    expect: code('INTERNAL'),
    traffic: 'setup',
    run: async () => {
      const r = await producer.send({ topic: delayTopic, body: 'later', delayMs: 60_000 });
      return withMalformed('RecallMessage', 'no-status', () =>
        producer.recallMessage(delayTopic, r.recallHandle!),
      )();
    },
  },
  {
    name: 'Heartbeat answered without a status (survived; the next send works)',
    expect: { ok: true },
    traffic: 'setup',
    run: withMalformed('Heartbeat', 'no-status', async () => {
      const results = await producer.core.heartbeatNow();
      assert.ok(
        results.length > 0 && results.every((r) => r.error?.code === 'INTERNAL'),
        'typed heartbeat failure',
      );
      await producer.send({ topic, body: 'after bad heartbeat' });
    }),
  },
  {
    name: 'NotifyClientTermination answered without a status (shutdown completes)',
    expect: { ok: true },
    traffic: 'setup',
    run: async () => {
      const p = newProducer({ topics: [topic] });
      await p.start();
      await withMalformed('NotifyClientTermination', 'no-status', () => p.shutdown())();
      assert.equal(p.state, 'stopped');
    },
  },
];

function withMalformed(rpc: RpcName, kind: 'no-status' | 'empty-payload', run: () => Promise<unknown>) {
  return async () => {
    broker.faults.malformed(rpc, kind);
    try {
      return await run();
    } finally {
      broker.faults.clear();
    }
  };
}

// ---------------------------------------------------------------------------------------------------
// Limits at −1 / = / +1 and every rule with its own code. A refused case asserts its rule's code and that
// nothing reached the broker; an accepted neighbour asserts that the value at (or just inside) the limit
// goes through — a send is stored once, a construction sends nothing.
// ---------------------------------------------------------------------------------------------------

const MiB = 1024 * 1024;
const HOUR_MS = 3_600_000;
const TOPIC = code('ILLEGAL_TOPIC');
const TAG = code('ILLEGAL_MESSAGE_TAG');
const KEY = code('ILLEGAL_MESSAGE_KEY');
const PROP = code('ILLEGAL_MESSAGE_PROPERTY_KEY');
const PROPS_SIZE = code('MESSAGE_PROPERTIES_TOO_LARGE');
const GROUP = code('ILLEGAL_MESSAGE_GROUP');
const LITE = code('ILLEGAL_LITE_TOPIC');
const DELIVERY = code('ILLEGAL_DELIVERY_TIME');
const CONFLICT = code('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE');
const BODY_LARGE = code('MESSAGE_BODY_TOO_LARGE');
const BODY_EMPTY = code('MESSAGE_BODY_EMPTY');
const CGROUP = code('ILLEGAL_CONSUMER_GROUP');
const FILTER = code('ILLEGAL_FILTER_EXPRESSION');
const INVISIBLE = code('ILLEGAL_INVISIBLE_TIME');
const OK = { ok: true } as const;

let limitTopic: string;
/** A topic of exactly 127 characters, created in the broker. */
let longTopic: string;
let priorityTopic: string;
let limitConsumer: SimpleConsumer;

/** `n` properties `k0..k(n-1)` with the value `v`. */
const nProps = (n: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
/** A send of a valid message to the limits topic with `over` applied. */
const sendTo =
  (over: () => Record<string, unknown>) =>
  (): Promise<unknown> =>
    producer.send({ topic: limitTopic, body: 'x', ...over() } as never);
/** Producer construction with `over` applied (construction connects to nothing). */
const construct = (over: Record<string, unknown>) => () =>
  newProducer(over as Partial<ProducerOptions>);
/** SimpleConsumer construction with `over` applied. */
const constructConsumer = (over: Record<string, unknown>) => () =>
  newConsumer(over as Partial<SimpleConsumerOptions>);

/** [name, run, expected]: refused cases send nothing at all; accepted ones construct a client. */
const ENDPOINT_LIMITS: readonly Case[] = (
  [
    ['port 0 (below 1)', '127.0.0.1:0', AP],
    ['port 1 (the minimum)', '127.0.0.1:1', OK],
    ['port 2', '127.0.0.1:2', OK],
    ['port 65534', '127.0.0.1:65534', OK],
    ['port 65535 (the maximum)', '127.0.0.1:65535', OK],
    ['port 65536 (above 65535)', '127.0.0.1:65536', AP],
    ['port of 6 digits', '127.0.0.1:100000', AP],
    ['port not a number', '127.0.0.1:http', AP],
    ['unclosed IPv6 bracket', '[::1:8081', AP],
    ['unbracketed IPv6 with a port', 'fe80::1:8081', AP],
    ['IPv6 with text after the bracket', '[::1]x:8081', AP],
    ['user info', 'user:pw@mq.example.com:8081', AP],
    ['unsupported URL scheme', 'ftp://mq.example.com:8081', AP],
    ['mixed IPv4 and IPv6', '10.0.0.1:1;[::1]:1', AP],
    ['two domain names', 'a.example.com:1;b.example.com:1', AP],
    ['only separators', ';;', AP],
    ['domain label of 63 chars (the maximum)', `${'a'.repeat(63)}.com:8081`, OK],
    ['domain label of 64 chars', `${'a'.repeat(64)}.com:8081`, AP],
    ['host with a space', 'mq example.com:8081', AP],
  ] as const
).map(([name, endpoints, expect]) => ({
  name: `producer endpoints: ${name}`,
  expect,
  traffic: 'nothing' as const,
  run: construct({ endpoints }),
}));

const TOPIC_NAME_LIMITS: readonly Case[] = [
  ...(
    [
      ['126 chars', 'a'.repeat(126), OK],
      ['127 chars (the maximum)', 'a'.repeat(127), OK],
      ['128 chars', 'a'.repeat(128), TOPIC],
      ['empty', '', TOPIC],
      ['blank', '  ', TOPIC],
      ['with a space', 'a b', TOPIC],
      ['with a dot', 'a.b', TOPIC],
      ['with a slash', 'a/b', TOPIC],
      ['with a non-ASCII letter', 'thé', TOPIC],
      ['with a control char', 'a\u0001', TOPIC],
      ...[...SYSTEM_TOPICS].map((t) => [`system topic ${t}`, t, TOPIC] as const),
      ['system prefix rmq_sys_', 'rmq_sys_x', TOPIC],
      ['retry topic %RETRY%', '%RETRY%g', TOPIC],
      ['dead-letter topic %DLQ%', '%DLQ%g', TOPIC],
    ] as const
  ).map(([name, t, expect]) => ({
    name: `producer topics option: ${name}`,
    expect,
    traffic: 'nothing' as const,
    run: construct({ topics: [t] }),
  })),
  ...(
    [
      ['127 chars (the maximum)', () => longTopic, OK],
      ['128 chars', () => `${longTopic}a`, TOPIC],
      ['blank', () => ' ', TOPIC],
      ['with a #', () => 'a#b', TOPIC],
      ['system topic TBW102', () => 'TBW102', TOPIC],
      ['retry topic', () => '%RETRY%g', TOPIC],
    ] as const
  ).map(([name, t, expect]) => ({
    name: `send topic: ${name}`,
    expect,
    traffic: expect === OK ? ({ sends: 1 } as const) : ('no-data' as const),
    run: () => producer.send({ topic: t(), body: 'x' }),
  })),
];

/** Sends with `over`; accepted cases are stored once, refused ones send nothing. */
const sendCases = (prefix: string, rows: ReadonlyArray<readonly [string, () => Record<string, unknown>, Expected]>) =>
  rows.map(([name, over, expect]) => ({
    name: `${prefix}: ${name}`,
    expect,
    traffic: expect === OK ? ({ sends: 1 } as const) : ('no-data' as const),
    run: sendTo(over),
  }));

const BODY_LIMITS: readonly Case[] = [
  ...sendCases('body', [
    ['empty string', () => ({ body: '' }), BODY_EMPTY],
    ['empty Buffer', () => ({ body: Buffer.alloc(0) }), BODY_EMPTY],
    ['empty Uint8Array', () => ({ body: new Uint8Array(0) }), BODY_EMPTY],
    ['1 byte', () => ({ body: 'x' }), OK],
    ['4 MiB − 1 (the server-sent maximum is 4 MiB)', () => ({ body: Buffer.alloc(4 * MiB - 1, 1) }), OK],
    ['4 MiB (the maximum)', () => ({ body: Buffer.alloc(4 * MiB, 1) }), OK],
    ['4 MiB + 1', () => ({ body: Buffer.alloc(4 * MiB + 1, 1) }), BODY_LARGE],
    ['a string of 4 MiB − 1 chars that is 4 MiB + 1 bytes in UTF-8', () => ({ body: `é${'a'.repeat(4 * MiB - 1)}` }), BODY_LARGE],
  ]),
  {
    name: 'batch: bodies totalling 4 MiB (the maximum)',
    expect: OK,
    traffic: { sends: 1, stored: 2 },
    run: () =>
      producer.sendBatch([
        { topic: limitTopic, body: Buffer.alloc(2 * MiB, 1) },
        { topic: limitTopic, body: Buffer.alloc(2 * MiB, 2) },
      ]),
  },
  {
    name: 'batch: bodies totalling 4 MiB + 1',
    expect: BODY_LARGE,
    traffic: 'no-data',
    run: () =>
      producer.sendBatch([
        { topic: limitTopic, body: Buffer.alloc(2 * MiB, 1) },
        { topic: limitTopic, body: Buffer.alloc(2 * MiB + 1, 2) },
      ]),
  },
  {
    name: 'batch: an empty body among valid ones',
    expect: BODY_EMPTY,
    traffic: 'no-data',
    run: () => producer.sendBatch([{ topic: limitTopic, body: 'a' }, { topic: limitTopic, body: '' }]),
  },
];

const HEADER = 16 * 1024;
const TAG_KEY_PROPERTY_LIMITS: readonly Case[] = sendCases('header', [
  ['tag empty', () => ({ tag: '' }), TAG],
  ['tag blank', () => ({ tag: '  ' }), TAG],
  ['tag with "|"', () => ({ tag: 'a|b' }), TAG],
  ['tag "||"', () => ({ tag: '||' }), TAG],
  ['tag with U+001F', () => ({ tag: 'a\u001f' }), TAG],
  ['tag with U+007F (DEL)', () => ({ tag: 'a\u007f' }), TAG],
  ['tag with U+009F (C1)', () => ({ tag: 'a\u009f' }), TAG],
  ['tag with U+00A0 (first after the control range)', () => ({ tag: 'a\u00a0' }), OK],
  ['tag of 16 KiB − 1', () => ({ tag: 'a'.repeat(HEADER - 1) }), OK],
  ['tag of 16 KiB (the maximum header size)', () => ({ tag: 'a'.repeat(HEADER) }), OK],
  ['tag of 16 KiB + 1', () => ({ tag: 'a'.repeat(HEADER + 1) }), PROPS_SIZE],
  ['key empty', () => ({ keys: [''] }), KEY],
  ['key blank', () => ({ keys: [' '] }), KEY],
  ['key with U+0000', () => ({ keys: ['k\u0000'] }), KEY],
  ['key with U+0085 (C1)', () => ({ keys: ['k\u0085'] }), KEY],
  ['second key blank', () => ({ keys: ['ok', ''] }), KEY],
  ['keys totalling 16 KiB', () => ({ keys: ['a'.repeat(HEADER / 2), 'b'.repeat(HEADER / 2)] }), OK],
  ['keys totalling 16 KiB + 1', () => ({ keys: ['a'.repeat(HEADER / 2), 'b'.repeat(HEADER / 2 + 1)] }), PROPS_SIZE],
  ['127 properties', () => ({ properties: nProps(127) }), OK],
  ['128 properties (the maximum)', () => ({ properties: nProps(128) }), OK],
  ['129 properties', () => ({ properties: nProps(129) }), PROPS_SIZE],
  ['129 properties as a Map', () => ({ properties: new Map(Object.entries(nProps(129))) }), PROPS_SIZE],
  ['property key empty', () => ({ properties: { '': 'v' } }), PROP],
  ['property key blank', () => ({ properties: { ' ': 'v' } }), PROP],
  ['property key with U+007F', () => ({ properties: { 'a\u007f': 'v' } }), PROP],
  ['property value empty', () => ({ properties: { a: '' } }), PROP],
  ['property value blank', () => ({ properties: { a: '  ' } }), PROP],
  ['property value with U+009F', () => ({ properties: { a: 'v\u009f' } }), PROP],
  ...[...RESERVED_PROPERTY_KEYS].map(
    (k) => [`reserved property key ${k}`, () => ({ properties: { [k]: 'v' } }), PROP] as const,
  ),
  ['property key and value of 16 KiB together', () => ({ properties: { k: 'v'.repeat(HEADER - 1) } }), OK],
  ['property key and value of 16 KiB + 1 together', () => ({ properties: { k: 'v'.repeat(HEADER) } }), PROPS_SIZE],
  [
    'tag + key + property of 16 KiB + 1 together',
    () => ({ tag: 't'.repeat(HEADER / 2), keys: ['k'.repeat(HEADER / 4)], properties: { p: 'v'.repeat(HEADER / 4) } }),
    PROPS_SIZE,
  ],
  [
    'tag + key + property of exactly 16 KiB together',
    () => ({ tag: 't'.repeat(HEADER / 2), keys: ['k'.repeat(HEADER / 4)], properties: { p: 'v'.repeat(HEADER / 4 - 1) } }),
    OK,
  ],
]);

const TYPE_LIMITS: readonly Case[] = [
  ...sendCases('message group', [
    ['62 bytes', () => ({ topic: fifoTopic, messageGroup: 'g'.repeat(62) }), OK],
    ['63 bytes (the maximum)', () => ({ topic: fifoTopic, messageGroup: 'g'.repeat(63) }), OK],
    ['64 bytes', () => ({ topic: fifoTopic, messageGroup: 'g'.repeat(64) }), GROUP],
    ['21 × "€" = 63 UTF-8 bytes', () => ({ topic: fifoTopic, messageGroup: '€'.repeat(21) }), OK],
    ['22 × "€" = 66 UTF-8 bytes (22 chars)', () => ({ topic: fifoTopic, messageGroup: '€'.repeat(22) }), GROUP],
    ['32 × "é" = 64 UTF-8 bytes (32 chars)', () => ({ topic: fifoTopic, messageGroup: 'é'.repeat(32) }), GROUP],
    ['empty', () => ({ topic: fifoTopic, messageGroup: '' }), GROUP],
    ['blank', () => ({ topic: fifoTopic, messageGroup: '   ' }), GROUP],
    ['with U+007F', () => ({ topic: fifoTopic, messageGroup: 'g\u007f' }), GROUP],
  ]),
  ...sendCases('lite topic', [
    ['empty', () => ({ liteTopic: '' }), LITE],
    ['blank', () => ({ liteTopic: ' ' }), LITE],
    ['with U+0001', () => ({ liteTopic: 'l\u0001' }), LITE],
  ]),
  ...sendCases('delivery time', [
    ['delay 0 (the minimum)', () => ({ topic: delayTopic, delayMs: 0 }), OK],
    ['delay −1', () => ({ topic: delayTopic, delayMs: -1 }), DELIVERY],
    ['delay +Infinity', () => ({ topic: delayTopic, delayMs: Number.POSITIVE_INFINITY }), DELIVERY],
    ['delay −Infinity', () => ({ topic: delayTopic, delayMs: Number.NEGATIVE_INFINITY }), DELIVERY],
    ['delay past the Timestamp range', () => ({ topic: delayTopic, delayMs: 253_402_300_800_000 }), DELIVERY],
    ['timestamp −1', () => ({ topic: delayTopic, deliveryTimestamp: -1 }), DELIVERY],
    ['timestamp NaN', () => ({ topic: delayTopic, deliveryTimestamp: Number.NaN }), DELIVERY],
    ['timestamp an invalid Date', () => ({ topic: delayTopic, deliveryTimestamp: new Date(Number.NaN) }), DELIVERY],
    ['timestamp after 9999-12-31', () => ({ topic: delayTopic, deliveryTimestamp: 253_402_300_800_000 }), DELIVERY],
    ['timestamp now + 1 h', () => ({ topic: delayTopic, deliveryTimestamp: Date.now() + HOUR_MS }), OK],
  ]),
  ...sendCases('type selectors', [
    ['group + delay', () => ({ messageGroup: 'g', delayMs: 1_000 }), CONFLICT],
    ['group + timestamp', () => ({ messageGroup: 'g', deliveryTimestamp: Date.now() + 1_000 }), CONFLICT],
    ['group + priority', () => ({ messageGroup: 'g', priority: 1 }), CONFLICT],
    ['lite topic + delay', () => ({ liteTopic: 'l', delayMs: 1_000 }), CONFLICT],
    ['lite topic + priority', () => ({ liteTopic: 'l', priority: 1 }), CONFLICT],
    ['delay + priority', () => ({ delayMs: 1_000, priority: 1 }), CONFLICT],
    ['timestamp + priority', () => ({ deliveryTimestamp: Date.now() + 1_000, priority: 1 }), CONFLICT],
    ['FIFO message to a DELAY topic', () => ({ topic: delayTopic, messageGroup: 'g' }), CONFLICT],
    ['DELAY message to a FIFO topic', () => ({ topic: fifoTopic, delayMs: 1_000 }), CONFLICT],
    ['PRIORITY message to a NORMAL topic', () => ({ priority: 1 }), CONFLICT],
  ]),
  ...(
    [
      ['delay', { delayMs: 1_000 }],
      ['timestamp', { deliveryTimestamp: Date.now() + 60_000 }],
      ['lite topic', { liteTopic: 'l' }],
    ] as const
  ).map(([name, over]) => ({
    name: `transaction message with a ${name}`,
    expect: CONFLICT,
    traffic: 'no-data' as const,
    run: () => producer.beginTransaction().send({ topic: txTopic, body: 'x', ...over }),
  })),
  ...(
    [
      ['a FIFO message', { messageGroup: 'g' }],
      ['a PRIORITY message', { priority: 1 }],
      ['a lite message', { liteTopic: 'l' }],
    ] as const
  ).map(([name, over]) => ({
    name: `batch with ${name}`,
    expect: CONFLICT,
    traffic: 'no-data' as const,
    run: () => producer.sendBatch([{ topic: limitTopic, body: 'a' }, { topic: limitTopic, body: 'b', ...over }]),
  })),
  // Priority has no code of its own (the protocol has none): INVALID_ARGUMENT.
  ...sendCases('priority', [
    ['0 (the minimum)', () => ({ topic: priorityTopic, priority: 0 }), OK],
    ['−1', () => ({ topic: priorityTopic, priority: -1 }), IA],
    ['2^31 − 1 (the maximum)', () => ({ topic: priorityTopic, priority: 2 ** 31 - 1 }), OK],
    ['2^31', () => ({ topic: priorityTopic, priority: 2 ** 31 }), IA],
    ['1.5', () => ({ topic: priorityTopic, priority: 1.5 }), IA],
  ]),
];

const CONSUMER_LIMITS: readonly Case[] = [
  ...(
    [
      ['254 chars', 'g'.repeat(254), OK],
      ['255 chars (the maximum)', 'g'.repeat(255), OK],
      ['256 chars', 'g'.repeat(256), CGROUP],
      ['empty', '', CGROUP],
      ['blank', '  ', CGROUP],
      ['with a space', 'a b', CGROUP],
      ['with a dot', 'a.b', CGROUP],
      ['with a control char', 'g\u0000', CGROUP],
    ] as const
  ).map(([name, consumerGroup, expect]) => ({
    name: `consumer group: ${name}`,
    expect,
    traffic: 'nothing' as const,
    run: constructConsumer({ consumerGroup }),
  })),
  ...(
    [
      ['254 chars', 't'.repeat(254), OK],
      ['255 chars (the maximum; dead-letter topics may exceed 127)', 't'.repeat(255), OK],
      ['256 chars', 't'.repeat(256), TOPIC],
      ['empty', '', TOPIC],
      ['with a space', 'a b', TOPIC],
      ['with a slash', 'a/b', TOPIC],
    ] as const
  ).map(([name, t, expect]) => ({
    name: `subscription topic: ${name}`,
    expect,
    traffic: 'nothing' as const,
    run: constructConsumer({ subscriptions: { [t]: '*' } }),
  })),
  ...(
    [
      ['empty', ''],
      ['blank', '  '],
      ['trailing "||"', 'a||'],
      ['leading "||"', '||a'],
      ['"*" mixed with tags', 'a||*'],
      ['a single "|" between tags', 'a|b||c'],
      ['control char', 'a\u0000'],
    ] as const
  ).map(([name, expression]) => ({
    name: `tag filter: ${name}`,
    expect: FILTER,
    traffic: 'nothing' as const,
    run: constructConsumer({ subscriptions: { [topic]: expression } }),
  })),
  {
    name: 'SQL filter: blank',
    expect: FILTER,
    traffic: 'nothing',
    run: () => FilterExpression.sql('  '),
  },
  {
    name: 'SQL filter: a control char other than tab/CR/LF',
    expect: FILTER,
    traffic: 'nothing',
    run: () => FilterExpression.sql('a = 1\u0000'),
  },
  ...(
    [
      ['port 0', '127.0.0.1:0', AP],
      ['port 65536', '127.0.0.1:65536', AP],
      ['port 65535', '127.0.0.1:65535', OK],
    ] as const
  ).map(([name, endpoints, expect]) => ({
    name: `consumer endpoints: ${name}`,
    expect,
    traffic: 'nothing' as const,
    run: constructConsumer({ endpoints }),
  })),
  ...(
    [
      ['9 999 ms (below the 10 s minimum)', 9_999, INVISIBLE],
      ['10 000 ms (the minimum)', 10_000, OK],
      ['12 h (the maximum)', 12 * HOUR_MS, OK],
      ['12 h + 1 ms', 12 * HOUR_MS + 1, INVISIBLE],
    ] as const
  ).map(([name, invisibleDurationMs, expect]) => ({
    name: `push consumer invisible duration: ${name}`,
    expect,
    traffic: 'nothing' as const,
    run: () => {
      const c = new PushConsumer({
        endpoints: ep(),
        consumerGroup: uniqueName('bad-push'),
        subscriptions: { [topic]: '*' },
        listener: () => 'success' as const,
        invisibleDurationMs,
      });
      cleanups.push(() => c.shutdown({ timeoutMs: 500 }));
    },
  })),
  // The consumer below has the default minimum (10 s), as against a real proxy.
  ...(
    [
      ['0 ms', 0, INVISIBLE],
      ['−1 ms', -1, INVISIBLE],
      ['9 999 ms', 9_999, INVISIBLE],
      ['10 000 ms (the minimum)', 10_000, OK],
      ['10 001 ms', 10_001, OK],
      ['12 h − 1 ms', 12 * HOUR_MS - 1, OK],
      ['12 h (the maximum)', 12 * HOUR_MS, OK],
      ['12 h + 1 ms', 12 * HOUR_MS + 1, INVISIBLE],
    ] as const
  ).map(([name, ms, expect]) => ({
    name: `receive invisible duration: ${name}`,
    expect,
    traffic: expect === OK ? ({ none: ['SendMessage'] } as const) : ('no-data' as const),
    run: () => limitConsumer.receive(1, ms),
  })),
  ...(
    [
      ['0', 0, IA],
      ['1 (the minimum)', 1, OK],
      ['32 (the maximum)', 32, OK],
      ['33', 33, IA],
    ] as const
  ).map(([name, n, expect]) => ({
    name: `receive maxMessages: ${name}`,
    expect,
    traffic: expect === OK ? ({ none: ['SendMessage'] } as const) : ('no-data' as const),
    run: () => limitConsumer.receive(n, 30_000),
  })),
  {
    name: 'changeInvisibleDuration −1 ms',
    expect: INVISIBLE,
    traffic: 'no-data',
    run: () => consumer.changeInvisibleDuration(view, -1),
  },
  {
    name: 'messages() invisible duration 12 h + 1 ms',
    expect: INVISIBLE,
    traffic: 'no-data',
    run: drainIterator(consumerMessages({ invisibleDurationMs: 12 * HOUR_MS + 1 })),
  },
  {
    name: 'subscribe to a 256-char topic',
    expect: TOPIC,
    traffic: 'no-data',
    run: () => consumer.subscribe('t'.repeat(256), '*'),
  },
  {
    name: 'subscribe with a filter "a||"',
    expect: FILTER,
    traffic: 'no-data',
    run: () => consumer.subscribe(topic, 'a||'),
  },
  {
    name: 'unsubscribe an empty topic',
    expect: TOPIC,
    traffic: 'no-data',
    run: () => consumer.unsubscribe(''),
  },
];

/** Runs one case and returns a description of its outcome. */
async function outcome(run: () => unknown): Promise<{ ok: true } | { error: unknown }> {
  try {
    const r = run();
    if (r instanceof Promise) await r;
    return { ok: true };
  } catch (error) {
    return { error };
  }
}

function check(c: Case, o: { ok: true } | { error: unknown }): void {
  const e = 'error' in o ? o.error : undefined;
  if ('ok' in c.expect) {
    assert.ok('ok' in o, `expected success, got ${String(e)}`);
    return;
  }
  assert.ok('error' in o, 'expected an error, got success');
  if ('code' in c.expect) {
    assert.ok(e instanceof RocketMQError, `expected a RocketMQError, got ${String(e)}`);
    assert.equal(e.code, c.expect.code, `${e.code}: ${e.message}`);
  } else if ('brokerStatus' in c.expect) {
    assert.equal((e as { name?: string }).name, 'BrokerStatusError', String(e));
    assert.equal((e as { code?: number }).code, c.expect.brokerStatus);
  } else {
    assert.ok(e instanceof Error, String(e));
    if (c.expect.error !== 'Error') assert.equal(e.name, c.expect.error, String(e));
    if (c.expect.match) assert.match(e.message, c.expect.match);
  }
}

function checkTraffic(c: Case, before: BrokerStats, after: BrokerStats): void {
  const moved = (rpc: RpcName) => after.calls[rpc] - before.calls[rpc];
  // Messages the broker kept: stored, or scheduled for a later delivery time.
  const kept = (s: BrokerStats) => s.stored + s.scheduled;
  if (c.traffic === 'setup') return;
  if (c.traffic === 'refused') {
    assert.equal(kept(after), kept(before), 'nothing stored');
    return;
  }
  if (typeof c.traffic === 'object' && 'sends' in c.traffic) {
    assert.equal(moved('SendMessage'), c.traffic.sends, 'SendMessage calls');
    assert.equal(kept(after) - kept(before), c.traffic.stored ?? c.traffic.sends, 'messages stored');
    return;
  }
  const quiet =
    c.traffic === 'nothing'
      ? [...DATA_PLANE, 'Telemetry' as const]
      : c.traffic === 'no-data'
        ? DATA_PLANE
        : c.traffic.none;
  const busy = quiet.filter((rpc) => moved(rpc) !== 0);
  assert.deepEqual(busy, [], `calls reached the broker: ${busy.map((r) => `${r}+${moved(r)}`).join(', ')}`);
  assert.equal(kept(after), kept(before), 'nothing stored');
}

/**
 * Who a group is about: `client` — argument checks and lifecycle of the clients, decided before anything
 * is sent; `test-broker` — the in-process broker's own API; `server` — rules only the server checks and
 * malformed server answers.
 */
type Subject = 'client' | 'test-broker' | 'server';

const GROUPS: ReadonlyArray<[string, readonly Case[], Subject]> = [
  ['Producer options', PRODUCER_OPTIONS, 'client'],
  ['Producer lifecycle', PRODUCER_LIFECYCLE, 'client'],
  ['Producer messages and call options', PRODUCER_MESSAGES, 'client'],
  ['checked by the server (typed, nothing stored)', SERVER_CHECKED, 'server'],
  ['SimpleConsumer options', CONSUMER_OPTIONS, 'client'],
  ['SimpleConsumer calls', CONSUMER_CALLS, 'client'],
  ['SimpleConsumer lifecycle', CONSUMER_LIFECYCLE, 'client'],
  ['InProcessBroker API', BROKER_API, 'test-broker'],
  ['malformed server answers', MALFORMED, 'server'],
  ['limits: endpoints', ENDPOINT_LIMITS, 'client'],
  ['limits: topic names', TOPIC_NAME_LIMITS, 'client'],
  ['limits: body size', BODY_LIMITS, 'client'],
  ['limits: tag, keys, properties, header size', TAG_KEY_PROPERTY_LIMITS, 'client'],
  ['limits: message group, lite topic, delivery time, type selectors, priority', TYPE_LIMITS, 'client'],
  ['limits: consumer names, filters, invisible duration, batch size', CONSUMER_LIMITS, 'client'],
];

/** Client codes about state rather than about an argument. */
const STATE_CODES = new Set(['INVALID_STATE', 'CLOSED', 'ABORTED', 'INTERNAL']);

/** The counting category of a case (see the "Bad input" section of test/reliability-matrix.md). */
function categoryOf(c: Case, subject: Subject): string {
  if (subject === 'test-broker') return '(b) test broker API';
  if (subject === 'server') return '(c) server rules and server answers';
  if ('ok' in c.expect) return 'client: accepted (the value at or inside the limit)';
  if (!('code' in c.expect)) return 'client: other';
  if (c.traffic === 'refused' || c.traffic === 'setup' || (typeof c.traffic === 'object' && 'sends' in c.traffic)) {
    return 'client: sends something';
  }
  if (c.expect.code === 'INVALID_ARGUMENT') return 'client: INVALID_ARGUMENT (wrong JS type or no code of its own)';
  if (STATE_CODES.has(c.expect.code)) return 'client: state code (INVALID_STATE, CLOSED, ABORTED, INTERNAL)';
  return '(a) client rule with its own code, nothing sent';
}

/** Counts per category, and per code for category (a). */
function countCases(): { categories: Map<string, number>; ruleCodes: Map<string, number>; total: number } {
  const categories = new Map<string, number>();
  const ruleCodes = new Map<string, number>();
  let total = 0;
  for (const [, cases, subject] of GROUPS) {
    for (const c of cases) {
      total++;
      const cat = categoryOf(c, subject);
      categories.set(cat, (categories.get(cat) ?? 0) + 1);
      if (cat.startsWith('(a)') && 'code' in c.expect) {
        ruleCodes.set(c.expect.code, (ruleCodes.get(c.expect.code) ?? 0) + 1);
      }
    }
  }
  return { categories, ruleCodes, total };
}

describe('bad-input catalogue', () => {
  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    broker = await InProcessBroker.start({ longPollingMinMs: 0, minInvisibleDurationMs: 1_000 });
    topic = uniqueName('bad');
    fifoTopic = uniqueName('bad-fifo');
    delayTopic = uniqueName('bad-delay');
    txTopic = uniqueName('bad-tx');
    broker.createTopic(topic);
    broker.createTopic(fifoTopic, { type: 'FIFO' });
    broker.createTopic(delayTopic, { type: 'DELAY' });
    broker.createTopic(txTopic, { type: 'TRANSACTION' });
    limitTopic = uniqueName('bad-limit');
    priorityTopic = uniqueName('bad-prio');
    longTopic = `${uniqueName('bad-long')}-`.padEnd(127, 'x');
    broker.createTopic(limitTopic);
    broker.createTopic(priorityTopic, { type: 'PRIORITY' });
    broker.createTopic(longTopic);
    producer = newProducer({ topics: [topic, fifoTopic, delayTopic, txTopic, limitTopic, priorityTopic, longTopic] });
    limitConsumer = newConsumer({ subscriptions: { [limitTopic]: '*' } });
    idleProducer = newProducer({ topics: [topic, txTopic] });
    closedProducer = newProducer({ topics: [topic] });
    consumer = newConsumer({ minInvisibleDurationMs: 1_000 });
    idleConsumer = newConsumer();
    closedConsumer = newConsumer();
    await Promise.all([
      producer.start(),
      consumer.start(),
      limitConsumer.start(),
      closedProducer.start(),
      closedConsumer.start(),
    ]);
    await producer.send({ topic, body: 'the view' });
    [view] = (await consumer.receive(1, 30_000)) as [MessageView];
    await consumer.ack(view);
    await Promise.all([closedProducer.shutdown(), closedConsumer.shutdown()]);
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await broker.shutdown();
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, [], 'no unhandled rejection');
  });

  for (const [group, cases] of GROUPS) {
    describe(group, () => {
      for (const c of cases) {
        const label =
          'code' in c.expect
            ? c.expect.code
            : 'ok' in c.expect
              ? 'accepted'
              : 'brokerStatus' in c.expect
                ? `BrokerStatusError ${c.expect.brokerStatus}`
                : c.expect.error;
        test(`${c.name} → ${label}`, async () => {
          const beforeStats = broker.stats();
          const o = await outcome(c.run);
          check(c, o);
          checkTraffic(c, beforeStats, broker.stats());
        });
      }
    });
  }

  test('the count by category: at least 120 client rule cases with their own code, nothing sent', (t) => {
    const { categories, ruleCodes, total } = countCases();
    const lines = [
      `bad-input catalogue: ${total} cases in ${GROUPS.length} groups`,
      ...[...categories].sort().map(([k, n]) => `  ${k}: ${n}`),
      `  (a) by code: ${[...ruleCodes].sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    ];
    for (const l of lines) t.diagnostic(l);
    assert.equal(categories.get('client: other') ?? 0, 0, 'every client case has a code or is accepted');
    assert.equal(categories.get('client: sends something') ?? 0, 0, 'every refused client case sends nothing');
    const a = categories.get('(a) client rule with its own code, nothing sent') ?? 0;
    // The system-topic and reserved-property-key cases enumerate one list each; without them it still holds.
    const listed = GROUPS.flatMap(([, cases, subject]) =>
      cases.filter((c) => categoryOf(c, subject).startsWith('(a)') && /(system topic |reserved property key )/.test(c.name)),
    ).length;
    t.diagnostic(`  (a) without the ${listed} cases that enumerate the system topics and reserved keys: ${a - listed}`);
    assert.ok(a - listed >= 120, `${a - listed} client rule cases with their own code (besides the lists)`);
  });
});
