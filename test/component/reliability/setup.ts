/**
 * Shared setup of the in-process reliability scenarios: an in-process broker whose routes advertise the
 * address the client used (so every call, not only the first, goes through the fault proxy), a fault
 * proxy in front of it, clients tuned for fast fault detection, and a collector of unhandled rejections.
 */
import type { TestContext } from 'node:test';
import { SimpleConsumer, type SimpleConsumerOptions } from '../../../src/consumer/simple-consumer.js';
import { exponentialBackoff } from '../../../src/internal/backoff.js';
import type { Logger } from '../../../src/observability/logger.js';
import { Producer, type ProducerOptions } from '../../../src/producer/index.js';
import { InProcessBroker, type InProcessBrokerOptions } from '../../../src/testing/index.js';
import { FaultProxy } from '../../helpers/fault-proxy.js';
import { uniqueName } from '../../helpers/in-process-client.js';

export { uniqueName };

/** Fast telemetry reconnects for tests (the default starts at 1 s). */
export const FAST_RECONNECT = exponentialBackoff({ initialMs: 50, maxMs: 400, multiplier: 2, jitter: 0.2 });

export interface FaultyBroker {
  readonly broker: InProcessBroker;
  readonly proxy: FaultProxy;
}

/** An in-process broker behind a fault proxy; both closed when the test ends. */
export async function faultyBroker(
  t: TestContext,
  options: InProcessBrokerOptions = {},
): Promise<FaultyBroker> {
  const broker = await InProcessBroker.start({
    longPollingMinMs: 0,
    minInvisibleDurationMs: 1_000,
    useEndpointPortFromRequest: true,
    ...options,
  });
  const proxy = await FaultProxy.start({ target: broker.endpoint });
  t.after(async () => {
    await proxy.close();
    await broker.shutdown();
  });
  return { broker, proxy };
}

/** A producer (not started) shut down when the test ends. */
export function producerFor(
  t: TestContext,
  endpoints: string,
  options: Partial<ProducerOptions> = {},
): Producer {
  const p = new Producer({
    endpoints,
    requestTimeoutMs: 1_000,
    isolationProbeIntervalMs: 200,
    ...options,
    core: {
      heartbeatIntervalMs: 200,
      heartbeatInitialDelayMs: 200,
      reconnectBackoff: FAST_RECONNECT,
      transportRecovery: { cooldownMs: 2_000 },
      ...options.core,
    },
  });
  t.after(() => p.shutdown({ timeoutMs: 1_000 }));
  return p;
}

/** A simple consumer (not started) shut down when the test ends. */
export function consumerFor(
  t: TestContext,
  endpoints: string,
  group: string,
  topic: string,
  options: Partial<SimpleConsumerOptions> = {},
): SimpleConsumer {
  const c = new SimpleConsumer({
    endpoints,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
    awaitDurationMs: 300,
    requestTimeoutMs: 1_000,
    minInvisibleDurationMs: 1_000,
    heartbeatIntervalMs: 200,
    retryBackoff: exponentialBackoff({ initialMs: 20, maxMs: 200, multiplier: 2, jitter: 0.2 }),
    ...options,
  });
  t.after(() => c.shutdown({ timeoutMs: 1_000 }));
  return c;
}

/** Collects unhandled promise rejections while a test runs. */
export function watchUnhandled(t: TestContext): unknown[] {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    seen.push(reason);
  };
  process.on('unhandledRejection', onRejection);
  t.after(() => {
    process.off('unhandledRejection', onRejection);
  });
  return seen;
}

/** A logger that keeps every record (level, message, serialised fields). */
export function capturingLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const put =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      let rendered = '';
      try {
        rendered =
          fields === undefined
            ? ''
            : JSON.stringify(fields, (_k, v) =>
                v instanceof Error ? { ...v, message: v.message, stack: v.stack } : v,
              );
      } catch {
        rendered = String(fields);
      }
      lines.push(`${level} ${message} ${rendered}`);
    };
  return { lines, debug: put('debug'), info: put('info'), warn: put('warn'), error: put('error') };
}

/** Waits (real time, bounded, short polls) until `cond()` holds. */
export async function until(cond: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
