/**
 * A real broker owned by one test file, for scenarios that kill or restart it (never the runner's
 * shared broker). Skipped with the reason when this machine cannot start one, or when ROCKETMQ_ENDPOINT
 * names an external broker; with CI=true a missing broker source is a failure.
 */
import {
  type BrokerHandle,
  describeBrokerSource,
  type StartBrokerExtraOptions,
  startBroker,
} from '../../testcontainers/index.js';

/** Why this file cannot own a broker, or `undefined` when it can. */
export async function ownBrokerSkipReason(): Promise<string | undefined> {
  if (process.env.ROCKETMQ_ENDPOINT && process.env.ROCKETMQ_TS_SHARED_BROKER !== '1') {
    return `ROCKETMQ_ENDPOINT=${process.env.ROCKETMQ_ENDPOINT} is an external broker; fault tests need a broker they own`;
  }
  const source = await describeBrokerSource({ ignoreEnv: true });
  if (source.kind !== 'none') return undefined;
  if (process.env.CI === 'true') throw new Error(`CI=true requires a real broker: ${source.reason}`);
  return `no RocketMQ broker available: ${source.reason}`;
}

/** Starts a broker of this file's own (JVM or Docker), ignoring the shared one. */
export function startOwnBroker(options: StartBrokerExtraOptions = {}): Promise<BrokerHandle> {
  return startBroker({ ...options, ignoreEnv: true });
}
