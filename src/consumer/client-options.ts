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
  /** Access point of the proxy: `host:port`, several separated by `;`, `[IPv6]:port`, or a domain name. */
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
  /**
   * Where the client logs (e.g. `consoleLogger(console)`, `pinoLikeLogger(pino)`).
   * @defaultValue silent (`NODE_DEBUG=rocketmq` prints debug lines)
   */
  logger?: Logger | undefined;
  /**
   * TLS: `true` for the system CAs, or `{ ca, cert, key, serverName, rejectUnauthorized }`.
   * @defaultValue plaintext
   */
  tls?: TlsConfig | undefined;
  /** The id the client presents to the server. @defaultValue a new unique id */
  clientId?: string | undefined;
  // ── test seams ──
  /** Time source (tests). @defaultValue the system clock */
  clock?: Clock | undefined;
  /** Timer functions (tests). @defaultValue the global timers */
  timers?: TimerApi | undefined;
  /** Random source for jitter (tests). @defaultValue `Math.random` */
  random?: RandomSource | undefined;
  /** Makes the gRPC clients (tests). @defaultValue grpc-js clients */
  createGrpcClient?: GrpcClientFactory | undefined;
  /** Period of heartbeats to every endpoint, in ms. @defaultValue 10000 */
  heartbeatIntervalMs?: number | undefined;
  /** Period of route refreshes, in ms. @defaultValue 30000 */
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
