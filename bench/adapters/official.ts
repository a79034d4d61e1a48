/**
 * The official `rocketmq-client-nodejs` (devDependency, benchmark only): `Producer`, `SimpleConsumer`
 * and `PushConsumer`, each with a silent logger (its default writes files under ~/logs).
 */
import {
  ConsumeResult,
  type MessageView,
  Producer,
  PushConsumer,
  SimpleConsumer,
} from 'rocketmq-client-nodejs';
import { type AdapterConfig, type ClientAdapter, unsupported } from './types.js';

const CLIENT = 'official';

const silent = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};

export async function createOfficialAdapter(config: AdapterConfig): Promise<ClientAdapter> {
  switch (config.role) {
    case 'producer':
      return producerAdapter(config);
    case 'simple-consumer':
      return simpleConsumerAdapter(config);
    case 'push-consumer':
      return pushConsumerAdapter(config);
  }
}

const noReceive = (role: 'producer' | 'push-consumer') => ({
  receiveBatch: () => Promise.reject(unsupported(CLIENT, role, 'receiveBatch')),
  ack: () => Promise.reject(unsupported(CLIENT, role, 'ack')),
});

function producerAdapter(config: AdapterConfig): ClientAdapter {
  const producer = new Producer({
    endpoints: config.endpoint,
    namespace: '',
    topics: [config.topic],
    logger: silent,
  });
  const { topic } = config;
  return {
    client: CLIENT,
    role: 'producer',
    start: () => producer.startup(),
    send: async (body) => {
      await producer.send({ topic, body, tag: 'bench' });
    },
    ...noReceive('producer'),
    bodyOf: () => {
      throw unsupported(CLIENT, 'producer', 'bodyOf');
    },
    shutdown: () => producer.shutdown(),
  };
}

function simpleConsumerAdapter(config: AdapterConfig): ClientAdapter<MessageView> {
  const consumer = new SimpleConsumer({
    endpoints: config.endpoint,
    namespace: '',
    consumerGroup: config.group,
    subscriptions: new Map([[config.topic, '*']]),
    awaitDuration: config.awaitDurationMs,
    logger: silent,
  });
  const invisible = config.invisibleDurationMs;
  return {
    client: CLIENT,
    role: 'simple-consumer',
    start: () => consumer.startup(),
    send: () => Promise.reject(unsupported(CLIENT, 'simple-consumer', 'send')),
    receiveBatch: (max) => consumer.receive(max, invisible),
    // One AckMessage per message is all its API offers; the acks of a batch run concurrently.
    ack: async (messages) => {
      await Promise.all(messages.map((m) => consumer.ack(m)));
    },
    bodyOf: (m) => m.body,
    shutdown: () => consumer.shutdown(),
  };
}

function pushConsumerAdapter(config: AdapterConfig): ClientAdapter<MessageView> {
  const handler = config.onMessage;
  if (handler === undefined) throw new Error('push-consumer needs onMessage');
  // Its consume service hands every cached message to the listener at once, so the messages inside
  // the listener are its cache.
  let inListener = 0;
  const consumer = new PushConsumer({
    endpoints: config.endpoint,
    namespace: '',
    consumerGroup: config.group,
    subscriptions: new Map([[config.topic, '*']]),
    logger: silent,
    ...(config.maxCachedMessages === undefined ? {} : { maxCacheMessageCount: config.maxCachedMessages }),
    messageListener: {
      consume: async (message: MessageView) => {
        inListener++;
        try {
          await handler(message);
        } finally {
          inListener--;
        }
        return ConsumeResult.SUCCESS;
      },
    },
  });
  return {
    client: CLIENT,
    role: 'push-consumer',
    start: () => consumer.startup(),
    send: () => Promise.reject(unsupported(CLIENT, 'push-consumer', 'send')),
    ...noReceive('push-consumer'),
    bodyOf: (m) => m.body,
    cachedMessages: () => inListener,
    shutdown: () => consumer.shutdown(),
  };
}
