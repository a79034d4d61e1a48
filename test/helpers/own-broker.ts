/**
 * A real broker owned by one test file, for scenarios that kill, freeze or restart it (never the
 * runner's shared broker).
 *
 * Outside CI such a file is skipped with the reason when ROCKETMQ_ENDPOINT names an external broker
 * (the developer asked for that broker, not for JVMs of our own), or when this machine cannot start one.
 * With `CI=true` nothing skips: an external ROCKETMQ_ENDPOINT is ignored and the file starts its own
 * broker anyway, and a machine that cannot start one fails the file with the reason.
 */
import {
  type BrokerHandle,
  describeBrokerSource,
  isCacheComplete,
  JvmBroker,
  type StartBrokerExtraOptions,
  startBroker,
} from '../../testcontainers/index.js';
import { hasMaven, javaMajorVersion } from '../../testcontainers/source.js';
import { isCi } from './ci.js';

export interface OwnBrokerNeeds {
  /**
   * The file signals the proxy+broker JVM itself (SIGSTOP/SIGCONT, SIGTERM): it needs the local JVM
   * source even where a Docker engine would be preferred.
   */
  jvm?: boolean;
}

/** Why the JVM source is unavailable here, or `undefined` when it is available. */
async function jvmMissing(): Promise<string | undefined> {
  const java = await javaMajorVersion();
  if (java === undefined) return 'no java on PATH';
  if (java < 8) return `java ${java} is too old`;
  if (!isCacheComplete() && !(await hasMaven())) return 'no mvn on PATH and no RocketMQ jar cache';
  return undefined;
}

/**
 * Why this file cannot own a broker, or `undefined` when it can.
 *
 * @throws Error under `CI=true` when no broker can be started (the reason is in the message).
 */
export async function ownBrokerSkipReason(needs: OwnBrokerNeeds = {}): Promise<string | undefined> {
  const external = process.env.ROCKETMQ_ENDPOINT && process.env.ROCKETMQ_TS_SHARED_BROKER !== '1';
  if (external && !isCi()) {
    return `ROCKETMQ_ENDPOINT=${process.env.ROCKETMQ_ENDPOINT} is an external broker; fault tests need a broker they own`;
  }
  const missing = needs.jvm
    ? await jvmMissing()
    : await describeBrokerSource({ ignoreEnv: true }).then((s) => (s.kind === 'none' ? s.reason : undefined));
  if (missing === undefined) return undefined;
  const what = needs.jvm ? 'a local proxy+broker JVM (signalled by the test)' : 'a real broker';
  if (isCi()) throw new Error(`CI=true requires ${what}: ${missing}`);
  return `no ${what} available: ${missing}`;
}

/** Starts a broker of this file's own (JVM when `needs.jvm`, else Docker or JVM), ignoring the shared one. */
export function startOwnBroker(
  options: StartBrokerExtraOptions = {},
  needs: OwnBrokerNeeds = {},
): Promise<BrokerHandle> {
  if (needs.jvm) return JvmBroker.start(options);
  return startBroker({ ...options, ignoreEnv: true });
}
