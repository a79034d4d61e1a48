/**
 * Gives an integration test file the real broker. Under `npm test` the runner has already
 * started one shared broker and put it in the environment; run alone, a file starts its own.
 * With no way to get a broker: CI=true fails, otherwise the test is skipped with the reason.
 */
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { type BrokerHandle, describeBrokerSource, startBroker } from '../../testcontainers/index.js';

let shared: Promise<BrokerHandle | string> | undefined;

/** Resolves to the broker, or to a skip reason (never in CI). */
export function sharedBroker(): Promise<BrokerHandle | string> {
  shared ??= (async () => {
    const source = await describeBrokerSource();
    if (source.kind === 'none') {
      if (process.env.CI === 'true') throw new Error(`CI=true requires a real broker: ${source.reason}`);
      return source.reason;
    }
    return startBroker();
  })();
  return shared;
}

/** Returns the broker or marks the test skipped with the reason (outside CI only). */
export async function brokerOrSkip(t: TestContext): Promise<BrokerHandle | undefined> {
  const b = await sharedBroker();
  if (typeof b === 'string') {
    t.skip(`no RocketMQ broker available: ${b}`);
    return undefined;
  }
  return b;
}

/** Stops the broker this file started (a no-op for the runner's shared broker). */
export async function releaseSharedBroker(): Promise<void> {
  const b = await shared;
  shared = undefined;
  if (b && typeof b !== 'string') await b.stop();
}

/** A name unique to this run, valid as a topic or group name. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** The shared broker of a `describe` block, filled by its `before` hook (see {@link useSharedBroker}). */
export interface SharedBrokerRef {
  /** The broker, once `before` ran; undefined when none is available (then `skipReason` says why). */
  readonly broker: BrokerHandle | undefined;
  readonly skipReason: string;
}

/**
 * Registers `before`/`after` hooks in the calling `describe` that get the shared broker and release it;
 * returns a live reference. Tests call `if (!ref.broker) return t.skip(ref.skipReason)`.
 */
export function useSharedBroker(hooks: {
  before: (fn: () => Promise<void>) => void;
  after: (fn: () => Promise<void>) => void;
}): SharedBrokerRef {
  const ref = { broker: undefined as BrokerHandle | undefined, skipReason: '' };
  hooks.before(async () => {
    const b = await sharedBroker();
    if (typeof b === 'string') ref.skipReason = `no RocketMQ broker available: ${b}`;
    else ref.broker = b;
  });
  hooks.after(() => releaseSharedBroker());
  return ref;
}
