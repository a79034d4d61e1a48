/**
 * rocketmq-ts through its public entry (src/index.ts, or its tsc build — see lib/library.ts): `Producer`,
 * `SimpleConsumer` and `PushConsumer`, all with their defaults except what a scenario sets (topic, group,
 * long polling, cache bound).
 */
import type { MessageView } from '../../src/index.js';
import { importLib } from '../lib/library.js';
import { type AdapterConfig, type AdapterGap, type ClientAdapter, unsupported } from './types.js';

type Lib = typeof import('../../src/index.js');

let loaded: Lib | undefined;

const CLIENT = 'rocketmq-ts';

/** Loads the library (see lib/library.ts); the worker does it before timing anything. */
export async function preload(): Promise<Lib> {
  loaded ??= await importLib<Lib>('index.js');
  return loaded;
}

export async function createRocketmqTsAdapter(config: AdapterConfig): Promise<ClientAdapter | AdapterGap> {
  const lib = await preload();
  switch (config.role) {
    case 'producer':
      return producerAdapter(lib, config);
    case 'simple-consumer':
      return simpleConsumerAdapter(lib, config);
    case 'push-consumer': {
      const ctor = pushConsumerClass(lib);
      return ctor === undefined
        ? { gap: 'PushConsumer is not exported from src/index.ts' }
        : pushConsumerAdapter(ctor, config);
    }
  }
}

function producerAdapter(lib: Lib, config: AdapterConfig): ClientAdapter {
  const producer = new lib.Producer({
    endpoints: config.endpoint,
    topics: [config.topic],
    ...(config.batching === true ? { batching: true } : {}),
  });
  const { topic } = config;
  return {
    client: CLIENT,
    role: 'producer',
    start: () => producer.start(),
    send: async (body) => {
      await producer.send({ topic, body, tag: 'bench' });
    },
    receiveBatch: () => Promise.reject(unsupported(CLIENT, 'producer', 'receiveBatch')),
    ack: () => Promise.reject(unsupported(CLIENT, 'producer', 'ack')),
    bodyOf: () => {
      throw unsupported(CLIENT, 'producer', 'bodyOf');
    },
    shutdown: () => producer.shutdown(),
  };
}

function simpleConsumerAdapter(lib: Lib, config: AdapterConfig): ClientAdapter<MessageView> {
  const consumer = new lib.SimpleConsumer({
    endpoints: config.endpoint,
    consumerGroup: config.group,
    subscriptions: { [config.topic]: '*' },
    awaitDurationMs: config.awaitDurationMs,
  });
  const invisible = config.invisibleDurationMs;
  return {
    client: CLIENT,
    role: 'simple-consumer',
    start: () => consumer.start(),
    send: () => Promise.reject(unsupported(CLIENT, 'simple-consumer', 'send')),
    receiveBatch: (max) => consumer.receive(max, invisible),
    // ackAll settles a receive's batch in one AckMessage (per endpoint and topic).
    ack: async (messages) => {
      const results = await consumer.ackAll(messages);
      const failed = results.find((r) => r.error !== undefined);
      if (failed !== undefined) throw failed.error;
    },
    bodyOf: (m) => m.body,
    shutdown: () => consumer.shutdown(),
  };
}

/** The part of the PushConsumer API the bench uses (looked up at run time: it is new in src/index.ts). */
interface PushConsumerLike {
  start(): Promise<void>;
  shutdown(): Promise<void>;
  stats(): { readonly cachedMessages: number };
}
type PushConsumerClass = new (options: {
  endpoints: string;
  consumerGroup: string;
  subscriptions: Record<string, string>;
  maxCachedMessages?: number;
  listener: (message: MessageView) => Promise<void>;
}) => PushConsumerLike;

function pushConsumerClass(lib: Lib): PushConsumerClass | undefined {
  const ctor = (lib as Record<string, unknown>).PushConsumer;
  return typeof ctor === 'function' ? (ctor as PushConsumerClass) : undefined;
}

function pushConsumerAdapter(
  PushConsumer: PushConsumerClass,
  config: AdapterConfig,
): ClientAdapter<MessageView> {
  const handler = config.onMessage;
  if (handler === undefined) throw new Error('push-consumer needs onMessage');
  const consumer = new PushConsumer({
    endpoints: config.endpoint,
    consumerGroup: config.group,
    subscriptions: { [config.topic]: '*' },
    ...(config.maxCachedMessages === undefined ? {} : { maxCachedMessages: config.maxCachedMessages }),
    listener: async (message) => {
      await handler(message);
    },
  });
  return {
    client: CLIENT,
    role: 'push-consumer',
    start: () => consumer.start(),
    send: () => Promise.reject(unsupported(CLIENT, 'push-consumer', 'send')),
    receiveBatch: () => Promise.reject(unsupported(CLIENT, 'push-consumer', 'receiveBatch')),
    ack: () => Promise.reject(unsupported(CLIENT, 'push-consumer', 'ack')),
    bodyOf: (m) => m.body,
    cachedMessages: () => consumer.stats().cachedMessages,
    shutdown: () => consumer.shutdown(),
  };
}
