/**
 * Options of the in-process broker and their defaults (the Apache proxy's / broker's where one exists).
 *
 * @packageDocumentation
 */

import { type Clock, systemClock } from '../internal/clock.js';
import { systemTimers, type TimerApi } from '../internal/timers.js';
import type { AclCredential } from './auth.js';

/** Options of `InProcessBroker.start()`. Every duration is in milliseconds. */
export interface InProcessBrokerOptions {
  /**
   * Host to bind and to advertise in routes.
   * @defaultValue `'127.0.0.1'`
   */
  readonly host?: string;
  /**
   * Port to bind; 0 picks a free one.
   * @defaultValue 0
   */
  readonly port?: number;
  /**
   * Broker name in routes and receipt handles.
   * @defaultValue `'broker-0'`
   */
  readonly brokerName?: string;
  /**
   * Time source for message timestamps, invisibility, delays, long polling and transaction checks.
   * Pass a {@link ManualTime} to drive the broker with fake time (it is used as the timer API too).
   * @defaultValue the system clock
   */
  readonly clock?: Clock;
  /**
   * Timer functions behind the broker's scheduler. Defaults to `clock` when that implements
   * `setTimeout`/`clearTimeout` (like {@link ManualTime}), else the global timers.
   */
  readonly timers?: TimerApi;
  /** Enables authentication: requests must be signed with one of these credentials (→ 40100 otherwise). */
  readonly acl?: AclCredential | readonly AclCredential[];
  /**
   * Routes advertise the address the client put in its request (`QueryRoute.endpoints`) instead of this
   * server's own, like the Apache proxy in cluster mode with `useEndpointPortFromRequest=true` (in local
   * mode the Apache proxy always advertises its own address): a client that reaches the
   * broker through a TCP proxy (or NAT) keeps using that address for every call.
   * @defaultValue false
   */
  readonly useEndpointPortFromRequest?: boolean;
  /**
   * QueryRoute (and SendMessage) create unknown topics as NORMAL topics instead of answering TOPIC_NOT_FOUND.
   * @defaultValue false
   */
  readonly autoCreateTopics?: boolean;
  /**
   * Queue count of topics created without one.
   * @defaultValue 4
   */
  readonly defaultQueueCount?: number;
  /**
   * Producer `max_attempts` sent in Settings (proxy `grpcClientProducerMaxAttempts`).
   * @defaultValue 3
   */
  readonly maxAttempts?: number;
  /**
   * Producer backoff sent in Settings.
   * @defaultValue `{ initialMs: 10, maxMs: 1000, multiplier: 2 }`
   */
  readonly producerBackoff?: {
    /** First retry delay, in milliseconds. */
    readonly initialMs: number;
    /** Largest retry delay, in milliseconds. */
    readonly maxMs: number;
    /** Growth factor between retries. */
    readonly multiplier: number;
  };
  /**
   * Default `maxDeliveryAttempts` of consumer groups (`retryMaxTimes + 1`).
   * @defaultValue 17
   */
  readonly defaultMaxDeliveryAttempts?: number;
  /**
   * Largest accepted message body.
   * @defaultValue 4 MiB
   */
  readonly maxBodySize?: number;
  /**
   * Reject messages whose type does not match their topic's (`enableTopicMessageTypeCheck`).
   * @defaultValue true
   */
  readonly validateMessageType?: boolean;
  /**
   * Lower clamp of the ReceiveMessage polling time (`grpcClientConsumerMinLongPollingTimeoutMillis`).
   * Tests may set 0 so that an empty receive returns at once.
   * @defaultValue 5000
   */
  readonly longPollingMinMs?: number;
  /**
   * Upper clamp of the polling time; also the `long_polling_timeout` sent to consumers.
   * @defaultValue 20000
   */
  readonly longPollingMaxMs?: number;
  /**
   * `receive_batch_size` sent to consumers in Settings. Receives asking for more than 32 are clamped to 32
   * whatever this says, like the proxy (`MAX_MSG_NUMS_FOR_POP_REQUEST`).
   * @defaultValue 32
   */
  readonly receiveBatchSize?: number;
  /**
   * Smallest `invisible_duration` accepted on receive (`minInvisibleTimeMillsForRecv`).
   * @defaultValue 10000
   */
  readonly minInvisibleDurationMs?: number;
  /**
   * Largest invisible duration on receive and ChangeInvisibleDuration.
   * @defaultValue 12 h
   */
  readonly maxInvisibleDurationMs?: number;
  /**
   * Invisibility of `auto_renew=true` receives and of each renewal (`defaultInvisibleTimeMills`).
   * @defaultValue 60000
   */
  readonly autoRenewInvisibleDurationMs?: number;
  /**
   * Total time the broker keeps renewing an auto-renewed message.
   * @defaultValue 3 h
   */
  readonly autoRenewMaxMs?: number;
  /**
   * Largest delay of a delay message (`maxDelayTimeMills`).
   * @defaultValue 1 day
   */
  readonly maxDelayMs?: number;
  /**
   * Age of an unresolved half message before its first check.
   * @defaultValue 6000
   */
  readonly transactionCheckDelayMs?: number;
  /**
   * Time between transaction checks.
   * @defaultValue 30000
   */
  readonly transactionCheckIntervalMs?: number;
  /**
   * Checks before an unresolved transaction is discarded.
   * @defaultValue 15
   */
  readonly transactionCheckMax?: number;
  /**
   * Accept SQL92 filters (`enablePropertyFilter`; the real broker's default is false).
   * @defaultValue true
   */
  readonly sqlFilter?: boolean;
  /**
   * A client not heard from for this long stops being treated as connected (auto-renew stops).
   * @defaultValue 120000
   */
  readonly clientExpiryMs?: number;
  /**
   * Forget a client not heard from for `clientExpiryMs`, as the proxy does when the client's channel
   * expires (`channelExpiredTimeout`): its settings are dropped, so its heartbeats are answered 40015
   * (UNRECOGNIZED_CLIENT_TYPE) and its receives fail until it sends its settings again. Its Telemetry
   * stream is left open, as the proxy leaves it.
   * @defaultValue false
   */
  readonly forgetExpiredClients?: boolean;
  /** How often expired clients are looked for (the broker's client housekeeping period). @defaultValue 10000 */
  readonly clientExpiryScanMs?: number;
  /**
   * A connection without an active call for this long gets a GOAWAY and is closed (the proxy's
   * `grpcClientIdleTimeMills`, gRPC `max_connection_idle`). @defaultValue no idle limit
   */
  readonly connectionIdleTimeoutMs?: number;
  /**
   * Every connection gets a GOAWAY this long after it was opened, busy or not (gRPC
   * `max_connection_age`, as load balancers do); its calls get `connectionAgeGraceMs` to finish.
   * @defaultValue no age limit
   */
  readonly connectionMaxAgeMs?: number;
  /** @defaultValue no limit: calls on a connection past its age run to their end */
  readonly connectionAgeGraceMs?: number;
}

/** Options with every default applied. */
export interface ResolvedBrokerOptions {
  readonly host: string;
  readonly port: number;
  readonly brokerName: string;
  readonly clock: Clock;
  readonly timers: TimerApi;
  readonly acl: readonly AclCredential[];
  readonly useEndpointPortFromRequest: boolean;
  readonly autoCreateTopics: boolean;
  readonly defaultQueueCount: number;
  readonly maxAttempts: number;
  readonly producerBackoff: {
    readonly initialMs: number;
    readonly maxMs: number;
    readonly multiplier: number;
  };
  readonly defaultMaxDeliveryAttempts: number;
  readonly maxBodySize: number;
  readonly validateMessageType: boolean;
  readonly longPollingMinMs: number;
  readonly longPollingMaxMs: number;
  readonly receiveBatchSize: number;
  readonly minInvisibleDurationMs: number;
  readonly maxInvisibleDurationMs: number;
  readonly autoRenewInvisibleDurationMs: number;
  readonly autoRenewMaxMs: number;
  readonly maxDelayMs: number;
  readonly transactionCheckDelayMs: number;
  readonly transactionCheckIntervalMs: number;
  readonly transactionCheckMax: number;
  readonly sqlFilter: boolean;
  readonly clientExpiryMs: number;
  readonly forgetExpiredClients: boolean;
  readonly clientExpiryScanMs: number;
  readonly connectionIdleTimeoutMs: number | undefined;
  readonly connectionMaxAgeMs: number | undefined;
  readonly connectionAgeGraceMs: number | undefined;
}

const HOUR = 60 * 60 * 1000;

function isTimerApi(value: unknown): value is TimerApi {
  const v = value as Partial<TimerApi> | undefined;
  return typeof v?.setTimeout === 'function' && typeof v.clearTimeout === 'function';
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`${name} must be a finite number ≥ 0, got ${value}`);
  return value;
}

function optionalPositive(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a finite number > 0, got ${value}`);
  return value;
}

/**
 * Applies defaults and checks ranges.
 *
 * @throws RangeError for negative or non-finite durations and sizes, or a min above a max.
 */
export function resolveOptions(o: InProcessBrokerOptions = {}): ResolvedBrokerOptions {
  const clock = o.clock ?? systemClock;
  const acl = o.acl === undefined ? [] : Array.isArray(o.acl) ? [...o.acl] : [o.acl as AclCredential];
  const r: ResolvedBrokerOptions = {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
    brokerName: o.brokerName ?? 'broker-0',
    clock,
    timers: o.timers ?? (isTimerApi(clock) ? clock : systemTimers),
    acl,
    useEndpointPortFromRequest: o.useEndpointPortFromRequest ?? false,
    autoCreateTopics: o.autoCreateTopics ?? false,
    defaultQueueCount: o.defaultQueueCount ?? 4,
    maxAttempts: o.maxAttempts ?? 3,
    producerBackoff: o.producerBackoff ?? { initialMs: 10, maxMs: 1000, multiplier: 2 },
    defaultMaxDeliveryAttempts: o.defaultMaxDeliveryAttempts ?? 17,
    maxBodySize: nonNegative('maxBodySize', o.maxBodySize ?? 4 * 1024 * 1024),
    validateMessageType: o.validateMessageType ?? true,
    longPollingMinMs: nonNegative('longPollingMinMs', o.longPollingMinMs ?? 5000),
    longPollingMaxMs: nonNegative('longPollingMaxMs', o.longPollingMaxMs ?? 20_000),
    receiveBatchSize: o.receiveBatchSize ?? 32,
    minInvisibleDurationMs: nonNegative('minInvisibleDurationMs', o.minInvisibleDurationMs ?? 10_000),
    maxInvisibleDurationMs: nonNegative('maxInvisibleDurationMs', o.maxInvisibleDurationMs ?? 12 * HOUR),
    autoRenewInvisibleDurationMs: nonNegative(
      'autoRenewInvisibleDurationMs',
      o.autoRenewInvisibleDurationMs ?? 60_000,
    ),
    autoRenewMaxMs: nonNegative('autoRenewMaxMs', o.autoRenewMaxMs ?? 3 * HOUR),
    maxDelayMs: nonNegative('maxDelayMs', o.maxDelayMs ?? 24 * HOUR),
    transactionCheckDelayMs: nonNegative('transactionCheckDelayMs', o.transactionCheckDelayMs ?? 6000),
    transactionCheckIntervalMs: nonNegative(
      'transactionCheckIntervalMs',
      o.transactionCheckIntervalMs ?? 30_000,
    ),
    transactionCheckMax: o.transactionCheckMax ?? 15,
    sqlFilter: o.sqlFilter ?? true,
    clientExpiryMs: nonNegative('clientExpiryMs', o.clientExpiryMs ?? 120_000),
    forgetExpiredClients: o.forgetExpiredClients ?? false,
    clientExpiryScanMs: nonNegative('clientExpiryScanMs', o.clientExpiryScanMs ?? 10_000),
    connectionIdleTimeoutMs: optionalPositive('connectionIdleTimeoutMs', o.connectionIdleTimeoutMs),
    connectionMaxAgeMs: optionalPositive('connectionMaxAgeMs', o.connectionMaxAgeMs),
    connectionAgeGraceMs: optionalPositive('connectionAgeGraceMs', o.connectionAgeGraceMs),
  };
  if (r.longPollingMinMs > r.longPollingMaxMs) {
    throw new RangeError(
      `longPollingMinMs (${r.longPollingMinMs}) exceeds longPollingMaxMs (${r.longPollingMaxMs})`,
    );
  }
  if (r.minInvisibleDurationMs > r.maxInvisibleDurationMs) {
    throw new RangeError('minInvisibleDurationMs exceeds maxInvisibleDurationMs');
  }
  if (!Number.isInteger(r.defaultQueueCount) || r.defaultQueueCount < 1) {
    throw new RangeError(`defaultQueueCount must be an integer ≥ 1, got ${r.defaultQueueCount}`);
  }
  if (r.forgetExpiredClients && r.clientExpiryScanMs === 0) {
    throw new RangeError('clientExpiryScanMs must be > 0 when forgetExpiredClients is on');
  }
  if (!Number.isInteger(r.receiveBatchSize) || r.receiveBatchSize < 1) {
    throw new RangeError(`receiveBatchSize must be an integer ≥ 1, got ${r.receiveBatchSize}`);
  }
  return r;
}
