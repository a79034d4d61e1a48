/**
 * The broker contract (test/contract/contract-suite.ts) against the in-process broker, configured
 * like a default Apache proxy 5.x (5 s minimum long polling, 4 MiB bodies, message-type check on,
 * 17 delivery attempts, SQL92 accepted on receive as the real pop path does, …) with one declared
 * difference, reported as a capability: `minInvisibleDurationMs` is 1 s instead of 10 s, so the
 * redelivery case takes seconds, not tens.
 */
import { InProcessBroker } from '../../src/testing/index.js';
import { defineBrokerContract } from '../contract/contract-suite.js';

const MIN_INVISIBLE_MS = 1_000;

defineBrokerContract('in-process broker', async () => {
  const broker = await InProcessBroker.start({ minInvisibleDurationMs: MIN_INVISIBLE_MS, sqlFilter: true });
  return {
    endpoint: broker.endpoint,
    createTopic: (name, type) => broker.createTopic(name, { type }),
    createConsumerGroup: (name, o = {}) =>
      broker.createConsumerGroup(name, {
        ...(o.fifo === undefined ? {} : { fifo: o.fifo }),
        ...(o.maxDeliveryAttempts === undefined ? {} : { maxDeliveryAttempts: o.maxDeliveryAttempts }),
      }),
    capabilities: { sqlFilter: true, minInvisibleMs: MIN_INVISIBLE_MS },
    close: () => broker.shutdown(),
  };
});
