/**
 * The broker contract (test/contract/contract-suite.ts) against a REAL RocketMQ 5.x proxy: the
 * runner's shared broker under `npm test`, else one started for this file (~30 s). Without any
 * way to get a broker the cases are skipped with the reason — except under CI=true, where that
 * fails (see test/helpers/broker.ts).
 *
 * Capabilities:
 * - `sqlFilter: true`. The test broker runs with `enablePropertyFilter=false` (the broker default;
 *   testcontainers/configs.ts does not set it), but in 5.4 that flag only gates the pull path
 *   (`PullMessageProcessor`, CHECK_CLIENT_CONFIG); the pop path behind gRPC ReceiveMessage
 *   evaluates SQL92 regardless, and the SQL case passes here. Claiming the capability is the safe
 *   direction anyway: a broker without it fails the case loudly instead of skipping it.
 * - `minInvisibleMs`: the proxy default `minInvisibleTimeMillsForRecv` (10 s; configs.ts does not
 *   change it). The contract checks it both ways: receives at exactly the minimum are accepted,
 *   one millisecond less is refused with 40011.
 */
import { defineBrokerContract } from '../contract/contract-suite.js';
import { releaseSharedBroker, sharedBroker } from '../helpers/broker.js';

/** Apache proxy default of `minInvisibleTimeMillsForRecv`. */
const PROXY_MIN_INVISIBLE_MS = 10_000;

defineBrokerContract('real RocketMQ proxy', async () => {
  const b = await sharedBroker();
  if (typeof b === 'string') return `no RocketMQ broker available: ${b}`;
  return {
    endpoint: b.endpoint,
    createTopic: (name, type) => b.createTopic(name, type),
    createConsumerGroup: (name, o = {}) =>
      b.createConsumerGroup(name, {
        ...(o.fifo === undefined ? {} : { fifo: o.fifo }),
        ...(o.maxDeliveryAttempts === undefined ? {} : { maxRetries: o.maxDeliveryAttempts - 1 }),
      }),
    capabilities: { sqlFilter: true, minInvisibleMs: PROXY_MIN_INVISIBLE_MS },
    credentials: b.acl ? { accessKey: b.acl.accessKey, accessSecret: b.acl.secretKey } : undefined,
    close: () => releaseSharedBroker(),
  };
});
