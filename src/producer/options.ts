/**
 * Producer options and their validation. Invalid options throw `INVALID_ARGUMENT` from the constructor,
 * before any connection is made.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { BackoffPolicy, RandomSource } from '../internal/backoff.js';
import type { Clock } from '../internal/clock.js';
import type { TimerApi } from '../internal/timers.js';
import { validateTopic } from '../model/message.js';
import type { MessageView } from '../model/message-view.js';
import type { Logger } from '../observability/logger.js';
import type { ClientCoreOptions } from '../protocol/client-core.js';
import { type Interceptor, validateInterceptors } from '../protocol/interceptors.js';
import type { Credentials, CredentialsProvider } from '../rpc/auth/credentials.js';
import type { TlsConfig } from '../rpc/channel-pool.js';
import { type BatchingOptions, type ResolvedBatching, resolveBatching } from './batching-options.js';

/** What a transaction checker answers; `UNKNOWN` leaves the transaction for the broker's next check. */
export type TransactionCheckResult = 'COMMIT' | 'ROLLBACK' | 'UNKNOWN';

/**
 * Resolves an orphaned transaction: called with the half message when the broker checks a transaction
 * the application neither committed nor rolled back (e.g. after a crash). Errors and other return values
 * count as `UNKNOWN`.
 */
export type TransactionChecker = (
  message: MessageView,
) => TransactionCheckResult | undefined | Promise<TransactionCheckResult | undefined>;

/** Options of a {@link Producer}. */
export interface ProducerOptions {
  /** Access point of the proxy: `host:port` or `host1:port1;host2:port2`. */
  endpoints: string;
  /**
   * Topics whose routes are fetched at start and which are declared to the server. Transactional
   * topics must be listed here (the broker only sends transaction checks for declared topics).
   */
  topics?: readonly string[] | undefined;
  /** Access key pair or a provider. @defaultValue anonymous */
  credentials?: Credentials | CredentialsProvider | undefined;
  /** Resource namespace. @defaultValue `''` */
  namespace?: string | undefined;
  /** Deadline of each RPC (the server's settings may change it). @defaultValue 3000 */
  requestTimeoutMs?: number | undefined;
  /** Attempts per send, including the first (1–32). @defaultValue 3 */
  maxAttempts?: number | undefined;
  /**
   * Where the client logs (e.g. `consoleLogger(console)` or `pinoLikeLogger(pino)`).
   * @defaultValue silent; `debugLogger()` (stderr) when `NODE_DEBUG` names `rocketmq`
   */
  logger?: Logger | undefined;
  /** TLS: `true` for the system CAs, or certificates and options. @defaultValue plaintext */
  tls?: TlsConfig | undefined;
  /** Answers the broker's checks of orphaned transactions. */
  transactionChecker?: TransactionChecker | undefined;
  /** Client id. @defaultValue a new one */
  clientId?: string | undefined;

  /**
   * Hooks around send and transaction commit/rollback, run in this order (see
   * `protocol/interceptors.ts`). @defaultValue none
   */
  interceptors?: readonly Interceptor[] | undefined;
  /**
   * Auto-batching of `send()` calls of NORMAL messages (see {@link BatchingOptions}); `true` for the
   * defaults. Other message types, `sendBatch` and transactions are never batched. @defaultValue off
   */
  batching?: BatchingOptions | boolean | undefined;
  // ── tuning and test seams ──
  /** Period of the health probe of isolated endpoints (a Heartbeat). @defaultValue 10 s */
  isolationProbeIntervalMs?: number | undefined;
  /** Override of the server's backoff after TOO_MANY_REQUESTS (tests). */
  throttleBackoff?: BackoffPolicy | undefined;
  /** Test seam: the time source (timestamps, deadlines). @defaultValue the system clock */
  clock?: Clock | undefined;
  /** Test seam: the timer functions behind retries and periodic tasks. @defaultValue the global timers */
  timers?: TimerApi | undefined;
  /** Test seam: random numbers for queue selection and jitter. @defaultValue `Math.random` */
  random?: RandomSource | undefined;
  /**
   * Extra options of the underlying client core (tuning, tests).
   * @internal Not part of the published API (stripped from the declarations).
   */
  core?: Partial<Omit<ClientCoreOptions, 'clientType' | 'accessPoint' | 'handlers'>> | undefined;
}

/** Validated options. */
export interface ResolvedProducerOptions extends ProducerOptions {
  readonly topics: readonly string[];
  readonly namespace: string;
  readonly maxAttempts: number;
  readonly isolationProbeIntervalMs: number;
  readonly interceptors: readonly Interceptor[];
  readonly batching: ResolvedBatching | undefined;
}

/** Largest accepted `maxAttempts`. */
export const MAX_ATTEMPTS_LIMIT = 32;

function bad(message: string, cause?: unknown): RocketMQError {
  return new RocketMQError(message, 'INVALID_ARGUMENT', cause === undefined ? {} : { cause });
}

const isPositiveNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/**
 * Validates producer options.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` naming the first bad option; `ILLEGAL_TOPIC` for a bad name in
 * `topics`.
 */
export function resolveProducerOptions(options: ProducerOptions): ResolvedProducerOptions {
  if (typeof options !== 'object' || options === null) throw bad('producer options must be an object');
  if (typeof options.endpoints !== 'string' || options.endpoints.trim() === '') {
    throw bad('endpoints must be a non-empty string such as "127.0.0.1:8081"');
  }
  const topics = options.topics ?? [];
  if (!Array.isArray(topics)) throw bad('topics must be an array of topic names');
  for (const topic of topics) {
    try {
      validateTopic(topic);
    } catch (err) {
      // Keeps the rule's own code (ILLEGAL_TOPIC for a bad name, INVALID_ARGUMENT for a non-string).
      const code = err instanceof RocketMQError ? err.code : 'INVALID_ARGUMENT';
      throw new RocketMQError(`topics: ${(err as Error).message}`, code, { cause: err });
    }
  }
  const namespace = options.namespace ?? '';
  if (typeof namespace !== 'string') throw bad('namespace must be a string');
  if (options.requestTimeoutMs !== undefined && !isPositiveNumber(options.requestTimeoutMs)) {
    throw bad(`requestTimeoutMs must be a positive number, got ${String(options.requestTimeoutMs)}`);
  }
  const maxAttempts = options.maxAttempts ?? 3;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_LIMIT) {
    throw bad(`maxAttempts must be an integer from 1 to ${MAX_ATTEMPTS_LIMIT}, got ${String(maxAttempts)}`);
  }
  if (options.transactionChecker !== undefined && typeof options.transactionChecker !== 'function') {
    throw bad('transactionChecker must be a function');
  }
  if (options.logger !== undefined && (typeof options.logger !== 'object' || options.logger === null)) {
    throw bad('logger must be an object with debug/info/warn/error methods');
  }
  if (options.clientId !== undefined && (typeof options.clientId !== 'string' || options.clientId === '')) {
    throw bad('clientId must be a non-empty string');
  }
  const isolationProbeIntervalMs = options.isolationProbeIntervalMs ?? 10_000;
  if (!isPositiveNumber(isolationProbeIntervalMs)) throw bad('isolationProbeIntervalMs must be positive');
  return {
    ...options,
    topics: Object.freeze([...new Set(topics)]),
    namespace,
    maxAttempts,
    isolationProbeIntervalMs,
    interceptors: validateInterceptors(options.interceptors),
    batching: resolveBatching(options.batching),
  };
}

/** Per-call options of sends (an abort signal and a timeout) plus trace seeds. */
export interface SendOptions {
  /** Aborting cancels the send (and its retries): `ABORTED`. */
  signal?: AbortSignal | undefined;
  /** Total budget of the send, shared by all attempts and waits. @defaultValue none (each attempt bounded by the request timeout) */
  timeoutMs?: number | undefined;
  /** Written as the `x-request-id` property. */
  requestId?: string | undefined;
  /** Written as `x-trace-id` (else the active span's). */
  traceId?: string | undefined;
  /** Written as `x-span-id` (else the active span's). */
  spanId?: string | undefined;
}

/** Options of calls without trace seeds. */
export interface CallOptions {
  /** Aborting cancels the call (and its retries): `ABORTED`. */
  signal?: AbortSignal | undefined;
  /** Total budget of the call in milliseconds. @defaultValue each attempt bounded by the request timeout */
  timeoutMs?: number | undefined;
}

/**
 * Checks per-call options.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` for a non-AbortSignal `signal` or a bad `timeoutMs`.
 */
export function checkCallOptions(options: unknown): CallOptions & SendOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw bad('options must be an object');
  const o = options as SendOptions;
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw bad('signal must be an AbortSignal');
  if (o.timeoutMs !== undefined && !(typeof o.timeoutMs === 'number' && o.timeoutMs > 0)) {
    throw bad(`timeoutMs must be a positive number, got ${String(o.timeoutMs)}`);
  }
  for (const key of ['requestId', 'traceId', 'spanId'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'string') throw bad(`${key} must be a string`);
  }
  return o;
}
