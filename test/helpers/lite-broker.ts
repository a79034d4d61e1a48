/**
 * The RocketMQ 5.5 broker of the lite-topic tests. Lite topics exist from 5.5.0 while the shared broker
 * runs the default release, so the lite tests share ONE broker of their own, started once by the lite
 * test file from the Maven jars: a name server, one broker and one proxy in CLUSTER mode (a 5.5.0
 * proxy in local mode has no lite subscription service: SyncLiteSubscription fails with a
 * NullPointerException, INTERNAL_SERVER_ERROR). `ROCKETMQ_TS_LITE_ENDPOINT` (+ `ROCKETMQ_TS_LITE_NAMESRV`) points the
 * tests at a 5.5 broker already running instead (development). With no way to get one: CI=true fails,
 * otherwise the tests skip with the reason.
 */
import {
  type BrokerHandle,
  describeBrokerSource,
  EnvBroker,
  startCluster,
} from '../../testcontainers/index.js';

/** What the lite tests use of a broker. */
export type LiteBroker = Pick<
  BrokerHandle,
  'endpoint' | 'namesrv' | 'createTopic' | 'createConsumerGroup' | 'stop'
>;

/**
 * Lite topics are stored as light message queues: without these two (both off by default) a 5.5.0
 * broker accepts lite messages and lite subscriptions but never delivers a lite message.
 */
export const LITE_BROKER_PROPERTIES = { enableLmq: true, enableMultiDispatch: true } as const;

/** The release the lite tests run on. */
export const LITE_BROKER_VERSION = '5.5.0';

/** Resolves to the broker, or to a skip reason (never in CI). */
export async function startLiteBroker(): Promise<LiteBroker | string> {
  const endpoint = process.env.ROCKETMQ_TS_LITE_ENDPOINT?.trim();
  if (endpoint) return new EnvBroker(endpoint, process.env.ROCKETMQ_TS_LITE_NAMESRV?.trim(), undefined);
  const source = await describeBrokerSource({ ignoreEnv: true });
  if (source.kind !== 'jvm') {
    if (process.env.CI === 'true') throw new Error(`CI=true requires the JVM broker: ${source.reason}`);
    return `the lite tests need a local ${LITE_BROKER_VERSION} JVM broker: ${source.reason}`;
  }
  return startCluster({
    brokers: 1,
    proxies: 1,
    version: LITE_BROKER_VERSION,
    brokerProperties: LITE_BROKER_PROPERTIES,
    // Generous: three JVMs on a loaded 2-core machine took over 180 s (the default bound) to start.
    startTimeoutMs: 420_000,
  });
}
