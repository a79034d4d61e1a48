/**
 * The bad-input catalogue (reliability notes §6 A1–A7, E5, B6): names, sizes, types, options, closed
 * clients, double start/shutdown and malformed server answers, across the Producer, the SimpleConsumer
 * and the in-process broker's public API.
 *
 * Every case must end in its typed error with a stable code (a `RocketMQError` code for the clients; the
 * documented `RangeError`/`TypeError`/`BrokerStatusError` for the test broker's own API), with nothing
 * sent for the client-checkable ones (the broker's call counters do not move), nothing stored for the
 * ones only the server can check, and no crash (no unhandled rejection).
 *
 * Cases already covered elsewhere are not repeated here: test/component/producer/validation.test.ts,
 * test/component/consumer/simple-consumer.test.ts, test/component/producer/producer.test.ts (lifecycle),
 * test/unit/producer/options.test.ts, test/unit/consumer/simple-consumer-options.test.ts and the
 * in-process broker's own tests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SimpleConsumer, type SimpleConsumerOptions } from '../../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../../src/errors.js';
import { FilterExpression } from '../../../src/model/filter-expression.js';
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
  ['endpoints without a port ("host:")', { endpoints: 'host:' }],
  ['endpoints without a host (":8081")', { endpoints: ':8081' }],
  ['endpoints with port 0', { endpoints: '127.0.0.1:0' }],
  ['endpoints with a negative port', { endpoints: '127.0.0.1:-1' }],
  ['endpoints with a space', { endpoints: '127.0.0.1: 80' }],
  ['endpoints mixing an IPv4 address and a domain', { endpoints: '127.0.0.1:1;example.com:2' }],
  ['maxAttempts -1', { maxAttempts: -1 }],
  ['maxAttempts a string', { maxAttempts: '3' }],
  ['requestTimeoutMs negative', { requestTimeoutMs: -5 }],
  ['requestTimeoutMs Infinity', { requestTimeoutMs: Number.POSITIVE_INFINITY }],
  ['requestTimeoutMs a string', { requestTimeoutMs: '1000' }],
  ['tls with a cert but no key', { tls: { cert: 'x' } }],
  ['tls a string', { tls: 'yes' }],
  ['topics with a non-string', { topics: [1] }],
  ['topics with a 128-char name', { topics: ['x'.repeat(128)] }],
  ['topics with a retry topic', { topics: ['%RETRY%g'] }],
  ['isolationProbeIntervalMs NaN', { isolationProbeIntervalMs: Number.NaN }],
  ['clientId a number', { clientId: 5 }],
  ['credentials a string', { credentials: 'ak:sk' }],
].map(([name, options]) => ({
  name: name as string,
  expect: IA,
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
    ['endpoints without a port', { endpoints: 'host:' }, IA],
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
      IA,
    ],
    ['changeInvisibleDuration a string', () => consumer.changeInvisibleDuration(view, '1000' as never), IA],
    ['changeInvisibleDuration of null', () => consumer.changeInvisibleDuration(null as never, 1_000), IA],
    ['messages() maxMessages 0', drainIterator(consumerMessages({ maxMessages: 0 })), IA],
    [
      'messages() invisible duration below the minimum',
      drainIterator(consumerMessages({ invisibleDurationMs: 5 })),
      IA,
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
  if (c.traffic === 'setup') return;
  if (c.traffic === 'refused') {
    assert.equal(after.stored, before.stored, 'nothing stored');
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
  assert.equal(after.stored, before.stored, 'nothing stored');
}

const GROUPS: ReadonlyArray<[string, readonly Case[]]> = [
  ['Producer options', PRODUCER_OPTIONS],
  ['Producer lifecycle', PRODUCER_LIFECYCLE],
  ['Producer messages and call options', PRODUCER_MESSAGES],
  ['checked by the server (typed, nothing stored)', SERVER_CHECKED],
  ['SimpleConsumer options', CONSUMER_OPTIONS],
  ['SimpleConsumer calls', CONSUMER_CALLS],
  ['SimpleConsumer lifecycle', CONSUMER_LIFECYCLE],
  ['InProcessBroker API', BROKER_API],
  ['malformed server answers', MALFORMED],
];

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
    producer = newProducer({ topics: [topic, fifoTopic, delayTopic, txTopic] });
    idleProducer = newProducer({ topics: [topic, txTopic] });
    closedProducer = newProducer({ topics: [topic] });
    consumer = newConsumer({ minInvisibleDurationMs: 1_000 });
    idleConsumer = newConsumer();
    closedConsumer = newConsumer();
    await Promise.all([producer.start(), consumer.start(), closedProducer.start(), closedConsumer.start()]);
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

  test('the catalogue has at least 60 cases, none of them untyped', () => {
    const total = GROUPS.reduce((n, [, cases]) => n + cases.length, 0);
    console.log(`bad-input catalogue: ${total} cases in ${GROUPS.length} groups`);
    assert.ok(total >= 60, `${total} cases`);
  });
});
