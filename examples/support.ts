/**
 * What the examples share (this file is not an example itself):
 *
 * - {@link openBroker}: the in-process broker from `rocketmq-ts/testing` by default, or the RocketMQ 5.x
 *   proxy named by `ROCKETMQ_ENDPOINT` (topics and groups are then created through `ROCKETMQ_NAMESRV`;
 *   `ROCKETMQ_ACCESS_KEY` / `ROCKETMQ_SECRET_KEY` when the broker has authentication on);
 * - {@link log} prints a line with the time since the start;
 * - {@link expect} checks an outcome and prints it, or throws, so the example exits with 1;
 * - {@link Inbox} collects what a consumer got and lets the example wait (bounded) until it got enough;
 * - {@link sleep} stands for work a handler does;
 * - {@link runExample} runs the example's `main` and sets the exit code.
 */
import type { Credentials } from '../src/index.js';
import { InProcessBroker, type InProcessBrokerOptions } from '../src/testing/index.js';

export type TopicType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION' | 'PRIORITY' | 'LITE';

export interface GroupOptions {
  /** An ordered (FIFO) group. */
  readonly fifo?: boolean;
  /** Deliveries before the dead-letter queue (real broker: `retryMaxTimes` = this − 1). */
  readonly maxDeliveryAttempts?: number;
  /** A lite group bound to this LITE topic (RocketMQ 5.5). */
  readonly liteBindTopic?: string;
}

/** Where an example runs. */
export interface ExampleBroker {
  /** One line for the output. */
  readonly describe: string;
  /** The proxy's access point, for the clients' `endpoints`. */
  readonly endpoint: string;
  /** Credentials for the clients (only with a real broker that has authentication on). */
  readonly credentials: Credentials | undefined;
  /** The in-process broker, when the example runs on it. */
  readonly inProcess: InProcessBroker | undefined;
  createTopic(name: string, type: TopicType): Promise<void>;
  createGroup(name: string, options?: GroupOptions): Promise<void>;
  close(): Promise<void>;
  /** `await using broker = await openBroker()`: {@link ExampleBroker.close} at scope exit. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts the in-process broker with `options`, or attaches to `ROCKETMQ_ENDPOINT` (the options are then
 * the real broker's business: they do not apply).
 */
export async function openBroker(options: InProcessBrokerOptions = {}): Promise<ExampleBroker> {
  const endpoint = process.env.ROCKETMQ_ENDPOINT?.trim();
  if (endpoint) {
    // The test harness's handle on an existing broker: it creates topics and groups over remoting.
    const { startBroker } = await import('../testcontainers/index.js');
    const b = await startBroker({});
    const credentials = b.acl ? { accessKey: b.acl.accessKey, accessSecret: b.acl.secretKey } : undefined;
    return {
      describe: `RocketMQ proxy at ${b.endpoint}`,
      endpoint: b.endpoint,
      credentials,
      inProcess: undefined,
      createTopic: (name, type) => b.createTopic(name, type),
      createGroup: (name, o = {}) =>
        b.createConsumerGroup(name, {
          ...(o.fifo === undefined ? {} : { fifo: o.fifo }),
          ...(o.maxDeliveryAttempts === undefined ? {} : { maxRetries: o.maxDeliveryAttempts - 1 }),
          ...(o.liteBindTopic === undefined ? {} : { liteBindTopic: o.liteBindTopic }),
        }),
      close: () => b.stop(),
      [Symbol.asyncDispose]: () => b.stop(),
    };
  }
  const b = await InProcessBroker.start(options);
  return {
    describe: `in-process broker at ${b.endpoint}`,
    endpoint: b.endpoint,
    credentials: undefined,
    inProcess: b,
    createTopic: async (name, type) => b.createTopic(name, { type }),
    createGroup: async (name, o = {}) => b.createConsumerGroup(name, o),
    close: () => b.shutdown(),
    [Symbol.asyncDispose]: () => b.shutdown(),
  };
}

/** A topic or group name no earlier run used. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

const t0 = performance.now();

/** Milliseconds since the example started. */
export function elapsedMs(): number {
  return Math.round(performance.now() - t0);
}

/** Prints `line` with the time since the start. */
export function log(line: string): void {
  console.log(`[${String(elapsedMs()).padStart(5)} ms] ${line}`);
}

/** Thrown when an example did not observe what it expected. */
export class ExpectationError extends Error {
  override name = 'ExpectationError';
}

/** Prints `ok: what` when `condition` holds; otherwise throws (the example then exits with 1). */
export function expect(condition: boolean, what: string, detail?: unknown): void {
  if (!condition) {
    throw new ExpectationError(
      `expected: ${what}${detail === undefined ? '' : ` (got ${JSON.stringify(detail, jsonSafe)})`}`,
    );
  }
  log(`ok: ${what}`);
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * Collects items (messages, events) as they arrive; {@link Inbox.until} resolves once a condition over
 * everything collected holds, and rejects when it does not within the bound.
 */
export class Inbox<T> {
  readonly items: T[] = [];
  readonly #waiters = new Set<() => void>();

  push(item: T): void {
    this.items.push(item);
    for (const check of [...this.#waiters]) check();
  }

  /** Resolves with the items once `condition(items)` holds; rejects after `timeoutMs`. */
  until(condition: (items: readonly T[]) => boolean, what: string, timeoutMs = 15_000): Promise<T[]> {
    return new Promise<T[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new ExpectationError(`timed out after ${timeoutMs} ms waiting for: ${what}`));
      }, timeoutMs);
      timer.unref();
      const check = (): void => {
        if (!condition(this.items)) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve([...this.items]);
      };
      this.#waiters.add(check);
      check();
    });
  }
}

/** Simulated work: resolves after `ms` (early when `signal` aborts); the timer never holds the process. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Runs an example: exit code 0 when `main` resolves, 1 (with the reason on stderr) when it throws. */
export function runExample(main: () => Promise<void>): void {
  main().then(
    () => {
      log('done');
    },
    (err: unknown) => {
      console.error('example failed:', err instanceof ExpectationError ? err.message : err);
      process.exitCode = 1;
    },
  );
}
