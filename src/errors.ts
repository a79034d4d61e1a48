/**
 * The library's single error type.
 *
 * Every failure surfaces as a {@link RocketMQError} carrying a stable string {@link ErrorCode}, a
 * `retriable` flag, and, where known, the broker's numeric status code, the gRPC status and the request id.
 * Those are fields, never parts of the message. Broker status codes are translated through one table,
 * {@link BROKER_CODES}; gRPC status numbers through another, {@link GRPC_STATUS_CODES}.
 *
 * @packageDocumentation
 */

import { isAbortError, isTimeoutError } from './internal/abort.js';
import { SchedulerClosedError } from './internal/scheduler.js';

/**
 * Codes for broker `Status.code` values (apache.rocketmq.v2 `Code` enum names, minus `OK`).
 */
export type BrokerErrorCode =
  | 'CODE_UNSPECIFIED'
  | 'MULTIPLE_RESULTS'
  | 'BAD_REQUEST'
  | 'ILLEGAL_ACCESS_POINT'
  | 'ILLEGAL_TOPIC'
  | 'ILLEGAL_CONSUMER_GROUP'
  | 'ILLEGAL_MESSAGE_TAG'
  | 'ILLEGAL_MESSAGE_KEY'
  | 'ILLEGAL_MESSAGE_GROUP'
  | 'ILLEGAL_MESSAGE_PROPERTY_KEY'
  | 'INVALID_TRANSACTION_ID'
  | 'ILLEGAL_MESSAGE_ID'
  | 'ILLEGAL_FILTER_EXPRESSION'
  | 'ILLEGAL_INVISIBLE_TIME'
  | 'ILLEGAL_DELIVERY_TIME'
  | 'INVALID_RECEIPT_HANDLE'
  | 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'
  | 'UNRECOGNIZED_CLIENT_TYPE'
  | 'MESSAGE_CORRUPTED'
  | 'CLIENT_ID_REQUIRED'
  | 'ILLEGAL_POLLING_TIME'
  | 'ILLEGAL_OFFSET'
  | 'ILLEGAL_LITE_TOPIC'
  | 'INVALID_CLIENT_PROPERTIES'
  | 'UNAUTHORIZED'
  | 'PAYMENT_REQUIRED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'MESSAGE_NOT_FOUND'
  | 'TOPIC_NOT_FOUND'
  | 'CONSUMER_GROUP_NOT_FOUND'
  | 'OFFSET_NOT_FOUND'
  | 'REQUEST_TIMEOUT'
  | 'PAYLOAD_TOO_LARGE'
  | 'MESSAGE_BODY_TOO_LARGE'
  | 'MESSAGE_BODY_EMPTY'
  | 'PRECONDITION_FAILED'
  | 'TOO_MANY_REQUESTS'
  | 'LITE_TOPIC_QUOTA_EXCEEDED'
  | 'LITE_SUBSCRIPTION_QUOTA_EXCEEDED'
  | 'REQUEST_HEADER_FIELDS_TOO_LARGE'
  | 'MESSAGE_PROPERTIES_TOO_LARGE'
  | 'INTERNAL_ERROR'
  | 'INTERNAL_SERVER_ERROR'
  | 'HA_NOT_AVAILABLE'
  | 'NOT_IMPLEMENTED'
  | 'PROXY_TIMEOUT'
  | 'MASTER_PERSISTENCE_TIMEOUT'
  | 'SLAVE_PERSISTENCE_TIMEOUT'
  | 'UNSUPPORTED'
  | 'VERSION_UNSUPPORTED'
  | 'VERIFY_FIFO_MESSAGE_UNSUPPORTED'
  | 'FAILED_TO_CONSUME_MESSAGE';

/**
 * Codes for faults detected by the client or the transport.
 *
 * - `INVALID_ARGUMENT`: bad input given to a public API (validation failure).
 * - `INVALID_STATE`: the call is not allowed in the client's current state (e.g. not started).
 * - `TIMEOUT`: a deadline passed (gRPC `DEADLINE_EXCEEDED` or a client-side deadline).
 * - `ABORTED`: the caller's `AbortSignal` fired.
 * - `CANCELLED`: the call was cancelled without the caller asking (gRPC `CANCELLED`).
 * - `CLOSED`: the client (or one of its parts) has been shut down; also the error of a call still in
 *   flight when a shutdown's bound is reached or `destroy()` is called (its request is cancelled).
 * - `UNAVAILABLE`: the endpoint cannot be reached (gRPC `UNAVAILABLE`).
 * - `INTERNAL`: unexpected failure, including a bug in this library.
 * - `UNKNOWN_BROKER_CODE`: the broker answered with a status code this version does not know.
 * - `SETTINGS_TIMEOUT`: the broker did not answer the client's settings over telemetry in time.
 * - `RUNTIME_UNSUPPORTED`: the JavaScript runtime lacks a feature the client needs (e.g. an HTTP/2 client).
 */
export type ClientErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_STATE'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'CANCELLED'
  | 'CLOSED'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  | 'UNKNOWN_BROKER_CODE'
  | 'SETTINGS_TIMEOUT'
  | 'RUNTIME_UNSUPPORTED';

/** Every stable error code. */
export type ErrorCode = BrokerErrorCode | ClientErrorCode;

/** How one broker status code is surfaced. */
export interface BrokerCodeInfo {
  readonly code: BrokerErrorCode;
  readonly retriable: boolean;
}

/** The broker's success code (`Code.OK`). */
export const BROKER_OK = 20000;

const info = (code: BrokerErrorCode, retriable: boolean): BrokerCodeInfo =>
  Object.freeze({ code, retriable });

/**
 * Broker numeric code → error code and retriability.
 *
 * Retriability: throttling (42900), internal errors (500xx) and proxy
 * timeouts (504xx) are retriable; client-side mistakes (400xx, 401xx, 403xx, 404xx, 413xx, 431xx) and
 * unsupported features (505xx) are not. REQUEST_TIMEOUT (40800) is treated as transient; the quota codes
 * 42901/42902 are not (waiting a few ms does not free quota).
 */
export const BROKER_CODES: ReadonlyMap<number, BrokerCodeInfo> = new Map<number, BrokerCodeInfo>([
  [0, info('CODE_UNSPECIFIED', false)],
  [30000, info('MULTIPLE_RESULTS', false)],
  [40000, info('BAD_REQUEST', false)],
  [40001, info('ILLEGAL_ACCESS_POINT', false)],
  [40002, info('ILLEGAL_TOPIC', false)],
  [40003, info('ILLEGAL_CONSUMER_GROUP', false)],
  [40004, info('ILLEGAL_MESSAGE_TAG', false)],
  [40005, info('ILLEGAL_MESSAGE_KEY', false)],
  [40006, info('ILLEGAL_MESSAGE_GROUP', false)],
  [40007, info('ILLEGAL_MESSAGE_PROPERTY_KEY', false)],
  [40008, info('INVALID_TRANSACTION_ID', false)],
  [40009, info('ILLEGAL_MESSAGE_ID', false)],
  [40010, info('ILLEGAL_FILTER_EXPRESSION', false)],
  [40011, info('ILLEGAL_INVISIBLE_TIME', false)],
  [40012, info('ILLEGAL_DELIVERY_TIME', false)],
  [40013, info('INVALID_RECEIPT_HANDLE', false)],
  [40014, info('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE', false)],
  [40015, info('UNRECOGNIZED_CLIENT_TYPE', false)],
  [40016, info('MESSAGE_CORRUPTED', false)],
  [40017, info('CLIENT_ID_REQUIRED', false)],
  [40018, info('ILLEGAL_POLLING_TIME', false)],
  [40019, info('ILLEGAL_OFFSET', false)],
  [40020, info('ILLEGAL_LITE_TOPIC', false)],
  [40021, info('INVALID_CLIENT_PROPERTIES', false)],
  [40100, info('UNAUTHORIZED', false)],
  [40200, info('PAYMENT_REQUIRED', false)],
  [40300, info('FORBIDDEN', false)],
  [40400, info('NOT_FOUND', false)],
  [40401, info('MESSAGE_NOT_FOUND', false)],
  [40402, info('TOPIC_NOT_FOUND', false)],
  [40403, info('CONSUMER_GROUP_NOT_FOUND', false)],
  [40404, info('OFFSET_NOT_FOUND', false)],
  [40800, info('REQUEST_TIMEOUT', true)],
  [41300, info('PAYLOAD_TOO_LARGE', false)],
  [41301, info('MESSAGE_BODY_TOO_LARGE', false)],
  [41302, info('MESSAGE_BODY_EMPTY', false)],
  [42800, info('PRECONDITION_FAILED', false)],
  [42900, info('TOO_MANY_REQUESTS', true)],
  [42901, info('LITE_TOPIC_QUOTA_EXCEEDED', false)],
  [42902, info('LITE_SUBSCRIPTION_QUOTA_EXCEEDED', false)],
  [43100, info('REQUEST_HEADER_FIELDS_TOO_LARGE', false)],
  [43101, info('MESSAGE_PROPERTIES_TOO_LARGE', false)],
  [50000, info('INTERNAL_ERROR', true)],
  [50001, info('INTERNAL_SERVER_ERROR', true)],
  [50002, info('HA_NOT_AVAILABLE', true)],
  [50100, info('NOT_IMPLEMENTED', false)],
  [50400, info('PROXY_TIMEOUT', true)],
  [50401, info('MASTER_PERSISTENCE_TIMEOUT', true)],
  [50402, info('SLAVE_PERSISTENCE_TIMEOUT', true)],
  [50500, info('UNSUPPORTED', false)],
  [50501, info('VERSION_UNSUPPORTED', false)],
  [50502, info('VERIFY_FIFO_MESSAGE_UNSUPPORTED', false)],
  [60000, info('FAILED_TO_CONSUME_MESSAGE', false)],
]);

/** Default retriability of the client-side codes (broker codes take theirs from {@link BROKER_CODES}). */
const CLIENT_CODE_RETRIABLE: Readonly<Record<ClientErrorCode, boolean>> = Object.freeze({
  INVALID_ARGUMENT: false,
  INVALID_STATE: false,
  TIMEOUT: true,
  ABORTED: false,
  CANCELLED: true,
  CLOSED: false,
  UNAVAILABLE: true,
  INTERNAL: false,
  UNKNOWN_BROKER_CODE: false,
  SETTINGS_TIMEOUT: true,
  RUNTIME_UNSUPPORTED: false,
});

const DEFAULT_RETRIABLE: ReadonlyMap<ErrorCode, boolean> = new Map<ErrorCode, boolean>([
  ...[...BROKER_CODES.values()].map((i): [ErrorCode, boolean] => [i.code, i.retriable]),
  ...(Object.entries(CLIENT_CODE_RETRIABLE) as Array<[ClientErrorCode, boolean]>),
]);

/** True when `value` is one of the known {@link ErrorCode} strings. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && DEFAULT_RETRIABLE.has(value as ErrorCode);
}

/** The retriability an error with `code` gets when the constructor is not told otherwise. */
export function defaultRetriable(code: ErrorCode): boolean {
  return DEFAULT_RETRIABLE.get(code) ?? false;
}

/**
 * Looks up a broker status code: exact match first, then its category (the code rounded down to the
 * hundred, e.g. an unknown 40455 → NOT_FOUND), else `undefined`. `OK` (20000) is not in the table.
 */
export function lookupBrokerCode(brokerCode: number): BrokerCodeInfo | undefined {
  const exact = BROKER_CODES.get(brokerCode);
  if (exact !== undefined) return exact;
  if (!Number.isInteger(brokerCode) || brokerCode < 10000) return undefined;
  return BROKER_CODES.get(Math.floor(brokerCode / 100) * 100);
}

/** Options of the {@link RocketMQError} constructor. */
export interface RocketMQErrorOptions {
  /** Overrides the code's default retriability. */
  retriable?: boolean;
  /** The broker's numeric `Status.code`, when the error came from an in-band status. */
  brokerCode?: number;
  /** The gRPC status number, when the error came from the transport. */
  grpcCode?: number;
  /** The `x-mq-request-id` of the failed call. */
  requestId?: string;
  /** The underlying error. */
  cause?: unknown;
}

const BRAND = Symbol.for('rocketmq-ts.RocketMQError');

/**
 * The error thrown by every public API.
 *
 * `instanceof RocketMQError` also recognises instances from another copy of this library (ESM and CJS
 * builds loaded side by side) through a registered-symbol brand.
 *
 * @example
 * ```ts
 * try { await producer.send(msg); }
 * catch (e) { if (e instanceof RocketMQError && e.code === 'TOPIC_NOT_FOUND') { … } }
 * ```
 */
export class RocketMQError extends Error {
  /** Always `'RocketMQError'`. */
  override name = 'RocketMQError';
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Whether repeating the same operation may succeed. */
  readonly retriable: boolean;
  /** The broker's numeric status code, when there was one. */
  declare readonly brokerCode?: number;
  /** The gRPC status number, when the transport failed. */
  declare readonly grpcCode?: number;
  /** The request id of the failed call, when known. */
  declare readonly requestId?: string;

  /**
   * @param message - human-readable description; must never contain credentials.
   * @param code - stable code.
   */
  constructor(message: string, code: ErrorCode, options: RocketMQErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? defaultRetriable(code);
    if (options.brokerCode !== undefined) this.brokerCode = options.brokerCode;
    if (options.grpcCode !== undefined) this.grpcCode = options.grpcCode;
    if (options.requestId !== undefined) this.requestId = options.requestId;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Brand check, so instances from another copy of the library also pass `instanceof`. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the constructor on the left of instanceof; subclasses keep the normal prototype check.
    if (this !== RocketMQError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return value !== null && typeof value === 'object' && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /**
   * Normalises anything thrown into a {@link RocketMQError}.
   *
   * - a `RocketMQError` is returned unchanged;
   * - an `AbortError` becomes `ABORTED`, a `TimeoutError` becomes `TIMEOUT`, a closed scheduler `CLOSED`;
   * - any other value becomes `fallbackCode` with the original as `cause`.
   */
  static from(reason: unknown, fallbackCode: ErrorCode = 'INTERNAL'): RocketMQError {
    if (reason instanceof RocketMQError) return reason;
    const message = messageOf(reason);
    if (reason instanceof SchedulerClosedError)
      return new RocketMQError(message, 'CLOSED', { cause: reason });
    if (isAbortError(reason)) return new RocketMQError(message, 'ABORTED', { cause: reason });
    if (isTimeoutError(reason)) return new RocketMQError(message, 'TIMEOUT', { cause: reason });
    return new RocketMQError(message, fallbackCode, { cause: reason });
  }

  /** Plain-object form for structured logs. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retriable: this.retriable,
      ...(this.brokerCode === undefined ? {} : { brokerCode: this.brokerCode }),
      ...(this.grpcCode === undefined ? {} : { grpcCode: this.grpcCode }),
      ...(this.requestId === undefined ? {} : { requestId: this.requestId }),
    };
  }
}

function messageOf(reason: unknown): string {
  if (reason instanceof Error) return reason.message || reason.name;
  if (typeof reason === 'string') return reason || 'Unknown error';
  return 'Unknown error';
}

/** Context attached to errors built from a call's outcome. */
export interface CallErrorContext {
  /** The `x-mq-request-id` sent with the call. */
  requestId?: string;
}

/**
 * Turns a broker in-band `Status` into an error; `undefined` for `OK` (20000).
 *
 * Unknown codes are mapped by category (code rounded down to the hundred); codes with no known category
 * become `UNKNOWN_BROKER_CODE`. The numeric code is always kept in `brokerCode`.
 */
export function brokerStatusToError(
  status: { readonly code: number; readonly message: string },
  context: CallErrorContext = {},
): RocketMQError | undefined {
  if (status.code === BROKER_OK) return undefined;
  const found = lookupBrokerCode(status.code);
  const code: ErrorCode = found?.code ?? 'UNKNOWN_BROKER_CODE';
  const retriable = found?.retriable ?? false;
  const message = status.message.trim() || `Broker answered with status ${code} (${status.code})`;
  return new RocketMQError(message, code, {
    retriable,
    brokerCode: status.code,
    ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
  });
}

/** How one gRPC status is surfaced. */
export interface GrpcStatusInfo {
  /** The gRPC status name, for messages. */
  readonly name: string;
  readonly code: ErrorCode;
  readonly retriable: boolean;
}

const grpc = (name: string, code: ErrorCode, retriable: boolean): GrpcStatusInfo =>
  Object.freeze({ name, code, retriable });

/**
 * gRPC status number → error code and retriability (numbers as in grpc-js `status`).
 *
 * Retriable: transport trouble (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED not requested by the caller),
 * INTERNAL, ABORTED, and RESOURCE_EXHAUSTED (proxies signal throttling with it). The rpc layer must turn a
 * cancellation the caller asked for into `ABORTED` itself, before consulting this table.
 */
export const GRPC_STATUS_CODES: ReadonlyMap<number, GrpcStatusInfo> = new Map<number, GrpcStatusInfo>([
  [0, grpc('OK', 'INTERNAL', false)],
  [1, grpc('CANCELLED', 'CANCELLED', true)],
  [2, grpc('UNKNOWN', 'INTERNAL', false)],
  [3, grpc('INVALID_ARGUMENT', 'BAD_REQUEST', false)],
  [4, grpc('DEADLINE_EXCEEDED', 'TIMEOUT', true)],
  [5, grpc('NOT_FOUND', 'NOT_FOUND', false)],
  [6, grpc('ALREADY_EXISTS', 'BAD_REQUEST', false)],
  [7, grpc('PERMISSION_DENIED', 'FORBIDDEN', false)],
  [8, grpc('RESOURCE_EXHAUSTED', 'TOO_MANY_REQUESTS', true)],
  [9, grpc('FAILED_PRECONDITION', 'PRECONDITION_FAILED', false)],
  [10, grpc('ABORTED', 'INTERNAL', true)],
  [11, grpc('OUT_OF_RANGE', 'BAD_REQUEST', false)],
  [12, grpc('UNIMPLEMENTED', 'NOT_IMPLEMENTED', false)],
  [13, grpc('INTERNAL', 'INTERNAL', true)],
  [14, grpc('UNAVAILABLE', 'UNAVAILABLE', true)],
  [15, grpc('DATA_LOSS', 'INTERNAL', false)],
  [16, grpc('UNAUTHENTICATED', 'UNAUTHORIZED', false)],
]);

/**
 * Turns a failed gRPC call's status into an error; the status number is kept in `grpcCode`.
 * Unknown numbers become non-retriable `INTERNAL`.
 *
 * @param grpcCode - the numeric gRPC status (grpc-js `ServiceError.code`).
 * @param details - the status details string, if any.
 */
export function grpcStatusToError(
  grpcCode: number,
  details?: string,
  context: CallErrorContext & { cause?: unknown } = {},
): RocketMQError {
  const found = GRPC_STATUS_CODES.get(grpcCode);
  const name = found?.name ?? `status ${grpcCode}`;
  const suffix = details?.trim() ? `: ${details.trim()}` : '';
  return new RocketMQError(`gRPC call failed with ${name}${suffix}`, found?.code ?? 'INTERNAL', {
    retriable: found?.retriable ?? false,
    grpcCode,
    ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
    ...(context.cause === undefined ? {} : { cause: context.cause }),
  });
}
