/**
 * One grpc-js client (channel) per endpoint, shared by every call of one RocketMQ client (a channel
 * map keyed by object identity would open a new channel after every route refresh).
 *
 * - Channels are keyed by {@link endpointKey} (a string), never by object identity, so the
 *   `Endpoints` objects rebuilt by every route refresh reuse the same channel.
 * - Created lazily on first use, with {@link DEFAULT_CHANNEL_OPTIONS} (130 MiB+ messages,
 *   300 s keepalive, built-in retries off).
 * - A channel with no active call for `idleTimeoutMs` is closed by a periodic check on the client's
 *   scheduler; every channel is closed by {@link ChannelPool.close}.
 *
 * @packageDocumentation
 */

import * as grpc from '@grpc/grpc-js';
import { RocketMQError } from '../errors.js';
import { type Clock, systemClock } from '../internal/clock.js';
import type { ResourceCount } from '../internal/resource-count.js';
import type { Scheduler, TaskHandle } from '../internal/scheduler.js';
import { type Logger, noopLogger } from '../observability/logger.js';
import { type Endpoints, endpointKey, shuffleEndpoints, toGrpcTarget } from './endpoints.js';

/** TLS settings of a client's channels. */
export interface TlsOptions {
  /** PEM root certificates to trust instead of the system roots. */
  ca?: string | Buffer;
  /** PEM client certificate chain (mutual TLS); needs `key`. */
  cert?: string | Buffer;
  /** PEM client private key (mutual TLS); needs `cert`. */
  key?: string | Buffer;
  /** Host name expected in the server certificate (sets `grpc.ssl_target_name_override`). */
  serverName?: string;
  /**
   * Verify the server certificate. Turn off only for test brokers with self-signed certificates.
   * @defaultValue `true`
   */
  rejectUnauthorized?: boolean;
}

/** `false`/absent: plaintext; `true`: TLS with system roots and verification; an object: custom TLS. */
export type TlsConfig = boolean | TlsOptions;

/** The grpc-js channel arguments every channel gets (the grpc-js defaults that do not suit the proxy). */
export const DEFAULT_CHANNEL_OPTIONS: Readonly<grpc.ChannelOptions> = Object.freeze({
  // The proxy accepts 130 MiB frames; a receive batch of 32 × 4 MiB bodies exceeds grpc-js's 4 MiB default.
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
  // 300 s matches grpc-java's minimum permitted ping interval; pinging more often risks GOAWAY too_many_pings.
  // HTTP/2 receive window per stream and per connection. The 64 KiB default makes the proxy wait for a
  // WINDOW_UPDATE every 64 KiB, shared by all streams of the connection: eight queue receives of 32 × 1 KiB
  // messages each waited 60–280 ms (bench/, push consumer on the fake broker). Java's default is 1 MiB.
  'grpc-node.flow_control_window': 8 * 1024 * 1024,
  'grpc.keepalive_time_ms': 300_000,
  'grpc.keepalive_timeout_ms': 30_000,
  'grpc.keepalive_permit_without_calls': 1,
  // Retries are decided by the client layers (retriable errors, shared deadlines), never by grpc-js.
  'grpc.enable_retries': 0,
  // Each channel owns its connection. With grpc-js's process-wide subchannel pool, two clients of one
  // endpoint share a TCP connection, and a channel replaced after that connection went silent (see
  // protocol/transport-recovery.ts) would get the same dead connection back.
  'grpc.use_local_subchannel_pool': 1,
});

/** Default idle time after which a channel without active calls is closed (30 min, like Java). */
export const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60_000;
/** Default period of the idle check (60 s, like Java). */
export const DEFAULT_IDLE_CHECK_INTERVAL_MS = 60_000;

function toBuffer(value: string | Buffer | undefined): Buffer | null {
  if (value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value) : value;
}

/**
 * Channel credentials and extra channel arguments for a TLS configuration.
 * Verification is on whenever TLS is on, unless `rejectUnauthorized: false` is given explicitly.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` when `tls` is neither a boolean nor an object, or when only one of
 * `cert`/`key` is given.
 */
export function createChannelCredentials(tls: TlsConfig | undefined): {
  credentials: grpc.ChannelCredentials;
  options: grpc.ChannelOptions;
} {
  if (tls === undefined || tls === false) {
    return { credentials: grpc.credentials.createInsecure(), options: {} };
  }
  if (tls === true) return { credentials: grpc.credentials.createSsl(), options: {} };
  if (tls === null || typeof tls !== 'object') {
    throw new RocketMQError('tls must be a boolean or an object of TLS options', 'INVALID_ARGUMENT');
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new RocketMQError('TLS client authentication needs both cert and key', 'INVALID_ARGUMENT');
  }
  const verify: grpc.VerifyOptions = {};
  if (tls.rejectUnauthorized === false) {
    verify.rejectUnauthorized = false;
    // grpc-js still runs the host name check unless it is replaced.
    verify.checkServerIdentity = () => undefined;
  }
  const credentials = grpc.credentials.createSsl(
    toBuffer(tls.ca),
    toBuffer(tls.key),
    toBuffer(tls.cert),
    verify,
  );
  const options: grpc.ChannelOptions = {};
  if (tls.serverName !== undefined && tls.serverName !== '') {
    options['grpc.ssl_target_name_override'] = tls.serverName;
    options['grpc.default_authority'] = tls.serverName;
  }
  return { credentials, options };
}

/** The part of a grpc-js `Client` the rpc layer uses (a seam for tests). */
export type GrpcClientLike = Pick<
  grpc.Client,
  'makeUnaryRequest' | 'makeServerStreamRequest' | 'makeBidiStreamRequest' | 'close'
>;

/** Creates the client of one endpoint. */
export type GrpcClientFactory = (
  target: string,
  credentials: grpc.ChannelCredentials,
  options: grpc.ChannelOptions,
) => GrpcClientLike;

const defaultFactory: GrpcClientFactory = (target, credentials, options) =>
  new grpc.Client(target, credentials, options);

/** Options of {@link ChannelPool}. */
export interface ChannelPoolOptions {
  /** TLS for every channel. @defaultValue plaintext */
  tls?: TlsConfig | undefined;
  /** Extra grpc-js channel arguments (override the defaults). */
  channelOptions?: grpc.ChannelOptions | undefined;
  /** Close a channel after this long without an active call. @defaultValue 30 min */
  idleTimeoutMs?: number | undefined;
  /** How often idleness is checked. @defaultValue 60 s */
  idleCheckIntervalMs?: number | undefined;
  /** Runs the idle check; without one, idle channels are only closed by {@link ChannelPool.close}. */
  scheduler?: Scheduler | undefined;
  /** Monotonic time for idleness. @defaultValue {@link systemClock} */
  clock?: Clock | undefined;
  logger?: Logger | undefined;
  /** Test seam. @defaultValue `new grpc.Client(...)` */
  createClient?: GrpcClientFactory | undefined;
  /**
   * Orders the addresses of a multi-address endpoint list at random when its channel is created, so
   * clients spread over the proxies of one access point (pick-first then fails over in that order).
   * @defaultValue `Math.random`
   */
  random?: (() => number) | undefined;
  /** Counts open channels (`channels`) and leases in use (`calls`, `streams`). */
  resources?: ResourceCount | undefined;
}

/** A channel borrowed for one call; `release()` must be called exactly once when the call ends. */
export interface ChannelLease {
  readonly client: GrpcClientLike;
  /** Marks the call as finished (idempotent). */
  release(): void;
}

interface Entry {
  readonly key: string;
  readonly client: GrpcClientLike;
  active: number;
  lastUsed: number;
}

/** Pool of per-endpoint channels. See the module documentation. */
export class ChannelPool {
  readonly #entries = new Map<string, Entry>();
  readonly #credentials: grpc.ChannelCredentials;
  readonly #options: grpc.ChannelOptions;
  readonly #idleTimeoutMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #createClient: GrpcClientFactory;
  readonly #idleTask: TaskHandle | undefined;
  readonly #random: () => number;
  readonly #resources: ResourceCount | undefined;
  #closed = false;

  constructor(options: ChannelPoolOptions = {}) {
    const tls = createChannelCredentials(options.tls);
    this.#credentials = tls.credentials;
    this.#options = { ...DEFAULT_CHANNEL_OPTIONS, ...tls.options, ...options.channelOptions };
    this.#idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? noopLogger;
    this.#createClient = options.createClient ?? defaultFactory;
    this.#random = options.random ?? Math.random;
    this.#resources = options.resources;
    this.#idleTask = options.scheduler?.every(
      options.idleCheckIntervalMs ?? DEFAULT_IDLE_CHECK_INTERVAL_MS,
      () => this.closeIdle(),
      { name: 'channel-idle-check' },
    );
  }

  /** Number of open channels. */
  get size(): number {
    return this.#entries.size;
  }

  /** True once {@link ChannelPool.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The channel arguments given to new channels (for diagnostics and tests). */
  get channelOptions(): Readonly<grpc.ChannelOptions> {
    return this.#options;
  }

  /**
   * Borrows the channel of `endpoints` (creating it on first use) for one call; `kind` says whether the
   * call is a unary call or a stream (for the resource counts).
   *
   * @throws RocketMQError `CLOSED` after {@link ChannelPool.close}.
   */
  acquire(endpoints: Endpoints, kind: 'call' | 'stream' = 'call'): ChannelLease {
    if (this.#closed) throw new RocketMQError('The channel pool is closed', 'CLOSED');
    const key = endpointKey(endpoints);
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      const target = toGrpcTarget(shuffleEndpoints(endpoints, this.#random));
      const client = this.#createClient(target, this.#credentials, this.#options);
      entry = { key, client, active: 0, lastUsed: this.#clock.monotonic() };
      this.#entries.set(key, entry);
      this.#resources?.add('channels');
      this.#logger.debug('channel created', { endpoints: key, target });
    }
    const leased = entry;
    leased.active += 1;
    leased.lastUsed = this.#clock.monotonic();
    const counted = kind === 'stream' ? 'streams' : 'calls';
    this.#resources?.add(counted);
    let released = false;
    return {
      client: leased.client,
      release: () => {
        if (released) return;
        released = true;
        this.#resources?.remove(counted);
        leased.active = Math.max(0, leased.active - 1);
        leased.lastUsed = this.#clock.monotonic();
      },
    };
  }

  /** Number of calls currently holding the channel of `endpoints` (0 when there is no channel). */
  activeCalls(endpoints: Endpoints): number {
    return this.#entries.get(endpointKey(endpoints))?.active ?? 0;
  }

  /** Closes channels without active calls that have been unused for longer than the idle timeout. */
  closeIdle(): void {
    const now = this.#clock.monotonic();
    for (const entry of [...this.#entries.values()]) {
      if (entry.active === 0 && now - entry.lastUsed >= this.#idleTimeoutMs) {
        this.#closeEntry(entry, 'idle');
      }
    }
  }

  /**
   * Closes the channel of `endpoints` now (the next call creates a fresh one, i.e. a new connection).
   * Calls in progress on it are left to finish or fail on their own.
   */
  evict(endpoints: Endpoints): void {
    const entry = this.#entries.get(endpointKey(endpoints));
    if (entry !== undefined) this.#closeEntry(entry, 'evicted');
  }

  /** Closes every channel and stops the idle check. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#idleTask?.cancel();
    for (const entry of [...this.#entries.values()]) this.#closeEntry(entry, 'pool closed');
  }

  #closeEntry(entry: Entry, reason: string): void {
    if (this.#entries.get(entry.key) === entry) {
      this.#entries.delete(entry.key);
      this.#resources?.remove('channels');
    }
    try {
      entry.client.close();
    } catch (err) {
      this.#logger.warn('closing a channel failed', { endpoints: entry.key, err });
    }
    this.#logger.debug('channel closed', { endpoints: entry.key, reason });
  }
}
