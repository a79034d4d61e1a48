/**
 * The options every consumer shares (connection, identity, credentials, test seams) and how they reach
 * the client core.
 *
 * @packageDocumentation
 */

import type { RandomSource } from '../internal/backoff.js';
import type { Clock } from '../internal/clock.js';
import type { TimerApi } from '../internal/timers.js';
import type { Logger } from '../observability/logger.js';
import type { ClientCoreOptions } from '../protocol/client-core.js';
import type { Credentials, CredentialsProvider } from '../rpc/auth/credentials.js';
import type { GrpcClientFactory, TlsConfig } from '../rpc/channel-pool.js';

/** Options common to {@link SimpleConsumer} and {@link PushConsumer}. */
export interface ConsumerClientOptions {
  /** Access point of the proxy, e.g. `'127.0.0.1:8081'` (see `parseEndpoints`). */
  endpoints: string;
  /** The consumer group. */
  consumerGroup: string;
  /** Access key pair or a provider. @defaultValue anonymous */
  credentials?: Credentials | CredentialsProvider | undefined;
  /** Resource namespace. @defaultValue `''` */
  namespace?: string | undefined;
  /** Deadline of unary calls (ack, …) and the slack added to long polls. @defaultValue 3000 */
  requestTimeoutMs?: number | undefined;
  /**
   * Smallest invisible duration accepted (the Apache proxy rejects less than 10 s; lower it only for a
   * server configured otherwise).
   * @defaultValue 10000
   */
  minInvisibleDurationMs?: number | undefined;
  /** @defaultValue no-op (or `NODE_DEBUG=rocketmq`) */
  logger?: Logger | undefined;
  /** @defaultValue plaintext */
  tls?: TlsConfig | undefined;
  /** @defaultValue a new id */
  clientId?: string | undefined;
  // ── test seams ──
  /** @defaultValue the system clock */
  clock?: Clock | undefined;
  /** @defaultValue the global timers */
  timers?: TimerApi | undefined;
  /** @defaultValue `Math.random` */
  random?: RandomSource | undefined;
  /** @defaultValue grpc-js clients */
  createGrpcClient?: GrpcClientFactory | undefined;
  /** @defaultValue 10 s */
  heartbeatIntervalMs?: number | undefined;
  /** @defaultValue 30 s */
  routeRefreshIntervalMs?: number | undefined;
}

/** The part of a client core's options that comes straight from {@link ConsumerClientOptions}. */
export function consumerCoreOptions(
  options: ConsumerClientOptions,
): Omit<ClientCoreOptions, 'clientType' | 'group' | 'subscriptions' | 'requestTimeoutMs'> {
  return {
    accessPoint: options.endpoints,
    namespace: options.namespace,
    credentials: options.credentials,
    tls: options.tls,
    logger: options.logger,
    clientId: options.clientId,
    clock: options.clock,
    timers: options.timers,
    random: options.random,
    createGrpcClient: options.createGrpcClient,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    routeRefreshIntervalMs: options.routeRefreshIntervalMs,
  };
}
