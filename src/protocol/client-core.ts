/**
 * The protocol core of one client instance (producer or consumer): it composes the client id,
 * scheduler, clock, logger, channel pool, RPC client, route cache, telemetry sessions, heartbeat and
 * settings, and owns their lifecycle.
 *
 * Lifecycle (a tagged union with one transition function):
 *
 * ```
 * created ──► starting ──► running ──► stopping ──► stopped
 *    │            ├──► failed
 *    │            └──────────────────────► stopping
 *    └───────────────────────────────────► stopping
 * ```
 *
 * - `start({ signal, timeoutMs })`: opens telemetry to the access point and waits (bounded) for the
 *   server's Settings reply, then prefetches the routes of the configured topics (≤ 3 attempts with
 *   backoff, retriable errors only), then starts heartbeats and route refresh. Concurrent calls share
 *   one promise. On failure everything is released and the state is `failed`. A first `UNAVAILABLE`
 *   from the access point is followed by one TLS/plaintext probe (`rpc/transport-probe.ts`); a mismatch
 *   fails the start at once with a non-retriable `UNAVAILABLE` instead of retrying to the settings bound.
 * - `shutdown({ timeoutMs, signal })`: idempotent (shared promise): stop heartbeats and refreshes,
 *   NotifyClientTermination to every endpoint in parallel (bounded; one failure never stops the rest),
 *   half-close the telemetry streams, close channels, close the scheduler. `signal` (or `destroy()`)
 *   cuts the graceful part short: notices in flight are cancelled and streams cancelled at once.
 * - `resources`: the core's timers, channels, calls and streams (see `resource-count.ts`); all zero
 *   once the shutdown resolved.
 * - Lost settings: a heartbeat answered 40015 (the server restarted or expired us) re-sends the
 *   settings at once instead of waiting for the telemetry reconnect backoff.
 * - Half-open connections: after 2 consecutive heartbeat timeouts to an endpoint its channel is
 *   replaced (the next call connects anew) and its telemetry stream renewed, at most once per 30 s
 *   (`transport-recovery.ts`).
 *
 * @packageDocumentation
 */

import type { ChannelOptions } from '@grpc/grpc-js';
import { RocketMQError } from '../errors.js';
import { attemptTimeout, createDeadline, type Deadline, linkSignals } from '../internal/abort.js';
import {
  type BackoffPolicy,
  backoffDelay,
  exponentialBackoff,
  type RandomSource,
} from '../internal/backoff.js';
import { type Clock, systemClock } from '../internal/clock.js';
import { keepAliveUntilSettled } from '../internal/keep-alive.js';
import { ResourceCount, type ResourceSnapshot } from '../internal/resource-count.js';
import { Scheduler } from '../internal/scheduler.js';
import type { TimerApi } from '../internal/timers.js';
import { childLogger, defaultLogger, type Logger, safeLogger } from '../observability/logger.js';
import {
  type Credentials,
  type CredentialsProvider,
  toCredentialsProvider,
} from '../rpc/auth/credentials.js';
import { type CallOptions, RpcClient } from '../rpc/call.js';
import { ChannelPool, type GrpcClientFactory, type TlsConfig } from '../rpc/channel-pool.js';
import { createClientId } from '../rpc/client-id.js';
import { type Endpoints, endpointKey, parseEndpoints } from '../rpc/endpoints.js';
import type { ClientLanguage } from '../rpc/metadata.js';
import { probeTransportMismatch, transportMismatchError } from '../rpc/transport-probe.js';
import { runtimeSupportError } from '../rpc/runtime-support.js';
import type { ClientCoreStateName } from './client-state.js';
import { TypedEmitter } from './events.js';
import { Heartbeat, type HeartbeatResult } from './heartbeat.js';
import { sendClientTermination, sendHeartbeat } from './lifecycle-convert.js';
import type { TopicRoute } from './route.js';
import { RouteCache, type RouteUpdate } from './route-cache.js';
import { queryRoute } from './route-convert.js';
import {
  ClientSettings,
  type ClientType,
  type EffectiveSettings,
  type RetryPolicy,
  type SubscriptionSpec,
} from './settings.js';
import {
  type TelemetryHandlers,
  TelemetrySession,
  type TelemetryStateChange,
  telemetryOpener,
} from './telemetry-session.js';
import { TransportRecovery, type TransportRecoveryTuning } from './transport-recovery.js';

/** Public names of the core states. */
export type { ClientCoreStateName } from './client-state.js';

type CoreState =
  | { readonly t: 'created' }
  | { readonly t: 'starting'; readonly abort: AbortController }
  | { readonly t: 'running' }
  | { readonly t: 'stopping' }
  | { readonly t: 'stopped' }
  | { readonly t: 'failed'; readonly error: RocketMQError };

const CORE_TRANSITIONS: Readonly<Record<ClientCoreStateName, readonly ClientCoreStateName[]>> = {
  created: ['starting', 'stopping'],
  starting: ['running', 'failed', 'stopping'],
  running: ['stopping'],
  stopping: ['stopped'],
  stopped: [],
  failed: [],
};

/** Events of a {@link ClientCore}. */
export interface ClientCoreEvents {
  /** The core's own lifecycle. */
  state: {
    readonly from: ClientCoreStateName;
    readonly to: ClientCoreStateName;
    readonly error?: RocketMQError;
  };
  /** A telemetry session changed state. */
  'telemetry.state': TelemetryStateChange;
  /** A route was added or changed. */
  'route.updated': RouteUpdate;
  /** A server Settings reply changed the effective settings. */
  'settings.applied': { readonly endpoints: string; readonly settings: EffectiveSettings };
  /** A heartbeat showed the server lost our settings; they were re-sent (`resent`) or the stream renewed. */
  'settings.resync': { readonly endpoints: string; readonly how: 'resent' | 'reconnect' };
  /** The channel of an endpoint was replaced after its connection went silent (see `transport-recovery.ts`). */
  'transport.recovered': { readonly endpoints: string; readonly reason: string };
}

/** Options of {@link ClientCore}. */
export interface ClientCoreOptions {
  clientType: ClientType;
  /** `host:port` (see `parseEndpoints`) or parsed endpoints. */
  accessPoint: string | Endpoints;
  /** Resource namespace. @defaultValue `''` */
  namespace?: string | undefined;
  /** Access key pair or a provider (called per request). Without it requests are anonymous. */
  credentials?: Credentials | CredentialsProvider | undefined;
  /** TLS. @defaultValue plaintext */
  tls?: TlsConfig | undefined;
  /** @defaultValue 3000 (the server's Settings reply may change it) */
  requestTimeoutMs?: number | undefined;
  /** Producer topics declared up front (routes prefetched at start). */
  topics?: readonly string[] | undefined;
  /** Consumer group. */
  group?: string | undefined;
  /** Consumer subscriptions (their topics' routes are prefetched at start). */
  subscriptions?: readonly SubscriptionSpec[] | undefined;
  /** Simple consumer await duration / push default long polling. */
  longPollingTimeoutMs?: number | undefined;
  /** Local retry policy (see `ClientSettings`). */
  retryPolicy?: RetryPolicy | undefined;
  clientProperties?: Readonly<Record<string, string>> | undefined;
  /** Handlers for server commands (more can be added with {@link ClientCore.setHandlers}). */
  handlers?: TelemetryHandlers | undefined;
  /** @defaultValue `defaultLogger()`: silent, or `debugLogger` when `NODE_DEBUG` names `rocketmq` */
  logger?: Logger | undefined;
  /** @defaultValue a new id (`createClientId()`) */
  clientId?: string | undefined;
  /** `x-mq-language`. @defaultValue `'NODE_JS'` */
  language?: ClientLanguage | undefined;

  // ── tuning and test seams ──
  /** Max time for the first Settings reply at start. @defaultValue requestTimeoutMs + 3000 */
  startupSettingsTimeoutMs?: number | undefined;
  /** QueryRoute attempts per topic at start. @defaultValue 3 */
  startupRouteAttempts?: number | undefined;
  /** Wait between startup route attempts. @defaultValue 500 ms → 2 s ×2 ±20 % */
  startupRouteBackoff?: BackoffPolicy | undefined;
  /** @defaultValue 10 s */
  heartbeatIntervalMs?: number | undefined;
  /** @defaultValue 1 s */
  heartbeatInitialDelayMs?: number | undefined;
  /** @defaultValue 30 s */
  routeRefreshIntervalMs?: number | undefined;
  /** @defaultValue 30 min */
  idleChannelTimeoutMs?: number | undefined;
  /** @defaultValue 5 min */
  settingsSyncIntervalMs?: number | undefined;
  /** @defaultValue 1 s → 30 s ×2 ±20 % */
  reconnectBackoff?: BackoffPolicy | undefined;
  /** Extra grpc-js channel arguments. */
  channelOptions?: ChannelOptions | undefined;
  /**
   * Half-open connection recovery after consecutive heartbeat timeouts; `false` turns it off.
   * @defaultValue 2 timeouts, 30 s cooldown per endpoint
   */
  transportRecovery?: TransportRecoveryTuning | false | undefined;
  clock?: Clock | undefined;
  timers?: TimerApi | undefined;
  random?: RandomSource | undefined;
  createGrpcClient?: GrpcClientFactory | undefined;
}

/** Options of {@link ClientCore.start}. */
export interface StartOptions {
  signal?: AbortSignal | undefined;
  /** Bound of the whole start. @defaultValue each step bounded on its own */
  timeoutMs?: number | undefined;
}

/** Options of {@link ClientCore.shutdown}. */
export interface ShutdownOptions {
  /** Bound of the graceful part (termination notices, stream half-close). @defaultValue 5000 */
  timeoutMs?: number | undefined;
  /** Aborting it ends the graceful part at once (as {@link ClientCore.destroy}). */
  signal?: AbortSignal | undefined;
}

/**
 * The error for malformed start options (checked before anything happens, so the client stays
 * startable), or `undefined`.
 */
function checkStartOptions(options: unknown): RocketMQError | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') {
    return new RocketMQError('start options must be an object', 'INVALID_ARGUMENT');
  }
  const { signal, timeoutMs } = options as StartOptions;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    return new RocketMQError('signal must be an AbortSignal', 'INVALID_ARGUMENT');
  }
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0)) {
    return new RocketMQError(
      `timeoutMs must be a positive number, got ${String(timeoutMs)}`,
      'INVALID_ARGUMENT',
    );
  }
  return undefined;
}

/** Backoff between startup route attempts. */
const STARTUP_ROUTE_BACKOFF = exponentialBackoff({
  initialMs: 500,
  maxMs: 2_000,
  multiplier: 2,
  jitter: 0.2,
});
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5_000;

/** The protocol core of one client. See the module documentation. */
export class ClientCore {
  readonly clientId: string;
  readonly accessPoint: Endpoints;
  readonly settings: ClientSettings;
  readonly scheduler: Scheduler;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly pool: ChannelPool;
  readonly rpc: RpcClient;
  readonly routes: RouteCache;
  readonly heartbeat: Heartbeat;
  /** The core's resources in use (timers, channels, calls, streams); its client's keep-alive too. */
  readonly resources = new ResourceCount();
  readonly #options: ClientCoreOptions;
  /** Aborted by `destroy()` or a shutdown's `signal`: the graceful part ends at once. */
  readonly #force = new AbortController();
  readonly #random: RandomSource;
  readonly #events: TypedEmitter<ClientCoreEvents>;
  readonly #sessions = new Map<string, TelemetrySession>();
  readonly #sessionUnsubscribers = new Map<string, () => void>();
  #handlers: TelemetryHandlers;
  #state: CoreState = { t: 'created' };
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  /** @throws RocketMQError `ILLEGAL_ACCESS_POINT` for an invalid access point; `INVALID_ARGUMENT` for bad settings. */
  constructor(options: ClientCoreOptions) {
    this.#options = options;
    this.clientId = options.clientId ?? createClientId();
    this.accessPoint =
      typeof options.accessPoint === 'string' ? parseEndpoints(options.accessPoint) : options.accessPoint;
    this.clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.logger = childLogger(safeLogger(options.logger ?? defaultLogger()), { clientId: this.clientId });
    this.#handlers = { ...options.handlers };
    this.#events = new TypedEmitter((err, type) =>
      this.logger.warn('event listener failed', { event: String(type), err }),
    );
    this.settings = new ClientSettings(
      {
        clientType: options.clientType,
        accessPoint: this.accessPoint,
        namespace: options.namespace,
        requestTimeoutMs: options.requestTimeoutMs,
        topics: options.topics,
        group: options.group,
        subscriptions: options.subscriptions,
        longPollingTimeoutMs: options.longPollingTimeoutMs,
        retryPolicy: options.retryPolicy,
        clientProperties: options.clientProperties,
      },
      this.logger,
    );
    // A producer that learns a topic, or a consumer whose subscriptions change after start, tells every
    // endpoint right away (not only at the 5 min sync).
    this.settings.onChange(({ current, previous }) => {
      if (current.topics === previous.topics && current.subscriptions === previous.subscriptions) return;
      for (const session of this.#sessions.values()) session.syncSettings();
    });
    this.scheduler = new Scheduler({
      timers: options.timers,
      resources: this.resources,
      onError: (err, { name }) => this.logger.warn('scheduled task failed', { task: name, err }),
    });
    this.pool = new ChannelPool({
      tls: options.tls,
      channelOptions: options.channelOptions,
      idleTimeoutMs: options.idleChannelTimeoutMs,
      scheduler: this.scheduler,
      clock: this.clock,
      logger: this.logger,
      createClient: options.createGrpcClient,
      random: this.#random,
      resources: this.resources,
    });
    this.rpc = new RpcClient({
      pool: this.pool,
      clientId: this.clientId,
      namespace: options.namespace,
      credentials: options.credentials === undefined ? undefined : toCredentialsProvider(options.credentials),
      language: options.language,
      clock: this.clock,
      defaultTimeoutMs: () => this.requestTimeoutMs,
      logger: this.logger,
    });
    const routeContext = {
      rpc: this.rpc,
      accessPoint: this.accessPoint,
      namespace: options.namespace ?? '',
      logger: this.logger,
    };
    this.routes = new RouteCache({
      query: (topic, callOptions) => queryRoute(routeContext, topic, callOptions),
      scheduler: this.scheduler,
      refreshIntervalMs: options.routeRefreshIntervalMs,
      requestTimeoutMs: () => this.requestTimeoutMs,
      logger: this.logger,
      onUpdate: (update) => this.#onRouteUpdate(update),
    });
    const recovery =
      options.transportRecovery === false
        ? undefined
        : new TransportRecovery({
            ...options.transportRecovery,
            clock: this.clock,
            logger: this.logger,
            recover: (endpoints, reason) => this.#recoverTransport(endpoints, reason),
          });
    this.heartbeat = new Heartbeat({
      scheduler: this.scheduler,
      endpoints: () => this.routes.endpoints(),
      beat: (endpoints, callOptions) =>
        sendHeartbeat(this.rpc, endpoints, this.settings.current, callOptions),
      timeoutMs: () => this.requestTimeoutMs,
      intervalMs: options.heartbeatIntervalMs,
      initialDelayMs: options.heartbeatInitialDelayMs,
      logger: this.logger,
      onRound: (results) => {
        recovery?.onHeartbeatRound(results);
        this.#resyncLostSettings(results);
      },
    });
  }

  /** The current state's name. */
  get state(): ClientCoreStateName {
    return this.#state.t;
  }

  /** The error that made start fail (state `failed`). */
  get failure(): RocketMQError | undefined {
    return this.#state.t === 'failed' ? this.#state.error : undefined;
  }

  /** The effective request timeout (may be changed by the server's settings). */
  get requestTimeoutMs(): number {
    return this.settings.current.requestTimeoutMs;
  }

  /** Telemetry sessions by endpoint key. */
  get sessions(): ReadonlyMap<string, TelemetrySession> {
    return this.#sessions;
  }

  /** The session of `endpoints`, if one exists. */
  session(endpoints: Endpoints): TelemetrySession | undefined {
    return this.#sessions.get(endpointKey(endpoints));
  }

  /** Subscribes to an event; returns the unsubscribe function. Listener errors are caught and logged. */
  on<K extends keyof ClientCoreEvents>(type: K, listener: (event: ClientCoreEvents[K]) => void): () => void {
    return this.#events.on(type, listener);
  }

  /** Adds or replaces server-command handlers (e.g. the producer's transaction checker). */
  setHandlers(handlers: TelemetryHandlers): void {
    this.#handlers = { ...this.#handlers, ...handlers };
  }

  /** Every endpoint the client talks to: the access point plus every cached route's endpoints. */
  endpoints(): Endpoints[] {
    const all = new Map<string, Endpoints>([[endpointKey(this.accessPoint), this.accessPoint]]);
    for (const e of this.routes.endpoints()) all.set(endpointKey(e), e);
    return [...all.values()];
  }

  /**
   * The route of `topic` (cached, else queried; concurrent lookups share one query).
   *
   * @throws RocketMQError `INVALID_STATE` unless starting or running; the query's error otherwise.
   */
  async getRoute(topic: string, options: CallOptions = {}): Promise<TopicRoute> {
    this.#assertUsable();
    return this.routes.get(topic, options);
  }

  /** Sends one heartbeat round now (to every route endpoint); never rejects. */
  heartbeatNow(options: Pick<CallOptions, 'signal'> = {}): Promise<HeartbeatResult[]> {
    return this.heartbeat.beatAll(options);
  }

  /**
   * Starts the client (see the module documentation). Concurrent calls share one promise; calling it
   * when running resolves at once.
   *
   * @throws RocketMQError `INVALID_ARGUMENT` for malformed options, `RUNTIME_UNSUPPORTED` on a runtime
   * without what the client needs (the state does not change in either case);
   * `INVALID_STATE` after shutdown or a failed start; `SETTINGS_TIMEOUT`,
   * `UNAUTHORIZED` (or another broker code) from the settings handshake; route errors such as
   * `TOPIC_NOT_FOUND`; `ABORTED`/`TIMEOUT` from the options.
   */
  start(options: StartOptions = {}): Promise<void> {
    const invalid = checkStartOptions(options) ?? runtimeSupportError();
    if (invalid !== undefined) return Promise.reject(invalid);
    const s = this.#state;
    if (s.t === 'running') return Promise.resolve();
    if (s.t === 'starting' && this.#starting !== undefined) return this.#starting;
    if (s.t !== 'created') {
      return Promise.reject(
        new RocketMQError(`Cannot start a client in state "${s.t}"`, 'INVALID_STATE', {
          ...(s.t === 'failed' ? { cause: s.error } : {}),
        }),
      );
    }
    const abort = new AbortController();
    this.#transition({ t: 'starting', abort });
    // Its timers are unref'd: one ref'd handle keeps an awaited start from being cut off by the exit.
    this.#starting = keepAliveUntilSettled(this.#start(abort, options), this.resources);
    return this.#starting;
  }

  /**
   * Shuts the client down (see the module documentation). Idempotent: every call returns the same
   * promise, which never rejects.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    const { signal } = options;
    if (signal !== undefined) {
      if (signal.aborted) this.#force.abort(signal.reason);
      else signal.addEventListener('abort', () => this.#force.abort(signal.reason), { once: true });
    }
    this.#stopping ??= this.#shutdown(options.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
    return this.#stopping;
  }

  /**
   * Shuts down without a graceful part; during a shutdown, ends its graceful part now. Returns the
   * shutdown's promise; never rejects.
   */
  destroy(): Promise<void> {
    this.#force.abort(new RocketMQError('The client was destroyed', 'CLOSED'));
    return this.shutdown({ timeoutMs: 0 });
  }

  /** A snapshot of {@link ClientCore.resources}. */
  resourceSnapshot(): ResourceSnapshot {
    return this.resources.snapshot();
  }

  /** `await using core = new ClientCore(...)` shuts it down at scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────

  #transition(next: CoreState): boolean {
    const prev = this.#state;
    if (!CORE_TRANSITIONS[prev.t].includes(next.t)) {
      this.logger.debug('client transition refused', { from: prev.t, to: next.t });
      return false;
    }
    this.#state = next;
    const error = next.t === 'failed' ? next.error : undefined;
    this.logger.debug('client state changed', {
      from: prev.t,
      to: next.t,
      ...(error === undefined ? {} : { err: error.toJSON() }),
    });
    this.#events.emit('state', { from: prev.t, to: next.t, ...(error === undefined ? {} : { error }) });
    return true;
  }

  async #start(abort: AbortController, options: StartOptions): Promise<void> {
    const deadline = createDeadline(this.clock, options.timeoutMs);
    // Ends the other half of the start when one half fails.
    const failed = new AbortController();
    const signal = linkSignals(options.signal, abort.signal, failed.signal);
    try {
      if (signal.aborted) throw RocketMQError.from(signal.reason);
      const settingsTimeout = this.#options.startupSettingsTimeoutMs ?? this.requestTimeoutMs + 3_000;
      const accessSession = this.#ensureSession(this.accessPoint);
      const mismatch = this.#watchTransportMismatch(accessSession, signal);
      // The settings handshake and the route queries need nothing from each other: one round trip, not two.
      await Promise.race([
        Promise.all([
          accessSession.waitForSettings({ signal, timeoutMs: attemptTimeout(settingsTimeout, deadline) }),
          ...this.#configuredTopics().map((topic) => this.#prefetchRoute(topic, signal, deadline)),
        ]),
        mismatch.failure,
      ])
        .catch((err: unknown) => {
          failed.abort(err);
          throw err;
        })
        .finally(() => mismatch.stop());
      // Endpoints revealed by the routes got their own sessions; they need settings before heartbeats.
      await Promise.all(
        [...this.#sessions.values()].map((s) =>
          s.waitForSettings({ signal, timeoutMs: attemptTimeout(settingsTimeout, deadline) }),
        ),
      );
      if (this.#state.t !== 'starting')
        throw new RocketMQError('The client was shut down during start', 'CLOSED');
      this.heartbeat.start();
      this.routes.startRefresh();
      this.#transition({ t: 'running' });
      this.logger.info('client started', { accessPoint: endpointKey(this.accessPoint) });
    } catch (err) {
      const error = this.#startError(err);
      if (this.#stopping === undefined) {
        await this.#release(createDeadline(this.clock, 1_000), this.#sessionsWithSettings());
        this.#transition({ t: 'failed', error });
        this.logger.warn('client start failed', { err: error.toJSON() });
      }
      throw error;
    } finally {
      this.#starting = undefined;
    }
  }

  /**
   * During start: after the access point's first `UNAVAILABLE` connect failure, probes it once for a
   * TLS/plaintext mismatch (`rpc/transport-probe.ts`); `failure` rejects with a non-retriable
   * `UNAVAILABLE` naming the mismatch, and never settles otherwise.
   */
  #watchTransportMismatch(
    session: TelemetrySession,
    signal: AbortSignal,
  ): { readonly failure: Promise<never>; stop(): void } {
    const usesTls = this.#options.tls !== undefined && this.#options.tls !== false;
    let reject: (err: RocketMQError) => void = () => {};
    const failure = new Promise<never>((_, r) => {
      reject = r;
    });
    failure.catch(() => {});
    let probed = false;
    const probe = new AbortController();
    const off = session.on('state', (change) => {
      const error = change.error;
      if (probed || change.to !== 'backoff' || error?.code !== 'UNAVAILABLE' || error.grpcCode === undefined)
        return;
      probed = true;
      void probeTransportMismatch(session.endpoints, usesTls, this.requestTimeoutMs, probe.signal).then(
        (found) => {
          if (found === undefined || probe.signal.aborted || signal.aborted) return;
          const err = transportMismatchError(session.endpoints, found, error);
          this.logger.warn('transport mismatch', { endpoints: session.key, err: err.toJSON() });
          reject(err);
        },
      );
    });
    return {
      failure,
      stop: () => {
        probe.abort();
        off();
      },
    };
  }

  #startError(err: unknown): RocketMQError {
    if (this.#stopping !== undefined) {
      return new RocketMQError('The client was shut down during start', 'CLOSED', { cause: err });
    }
    return RocketMQError.from(err);
  }

  async #prefetchRoute(topic: string, signal: AbortSignal, deadline: Deadline): Promise<void> {
    const maxAttempts = this.#options.startupRouteAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.routes.refresh(topic, {
          signal,
          timeoutMs: attemptTimeout(this.requestTimeoutMs, deadline),
        });
        return;
      } catch (e) {
        const err = RocketMQError.from(e);
        if (!err.retriable || attempt >= maxAttempts || deadline.expired() || signal.aborted) throw err;
        this.logger.debug('startup route query failed; retrying', { topic, attempt, err: err.toJSON() });
        const delay = Math.min(
          backoffDelay(this.#options.startupRouteBackoff ?? STARTUP_ROUTE_BACKOFF, attempt, this.#random),
          deadline.remaining(),
        );
        await this.scheduler.sleep(delay, signal);
      }
    }
  }

  async #shutdown(timeoutMs: number): Promise<void> {
    const s = this.#state;
    if (s.t === 'starting') {
      s.abort.abort(new RocketMQError('The client is shutting down', 'CLOSED'));
      await this.#starting?.catch(() => {});
    }
    if (this.#state.t === 'failed' || this.#state.t === 'stopped') return;
    const notify = this.#state.t !== 'created';
    this.#transition({ t: 'stopping' });
    const deadline = createDeadline(this.clock, this.#force.signal.aborted ? 0 : timeoutMs);
    await this.#release(deadline, notify ? [...this.#sessions.values()].map((x) => x.endpoints) : []);
    this.#transition({ t: 'stopped' });
    this.logger.info('client stopped');
  }

  /** Releases everything; never throws. `notify`: endpoints that get a NotifyClientTermination. */
  async #release(deadline: Deadline, notify: readonly Endpoints[]): Promise<void> {
    this.heartbeat.stop();
    this.routes.close();
    await Promise.all(
      notify.map(async (e) => {
        const timeoutMs = attemptTimeout(this.requestTimeoutMs, deadline);
        if (timeoutMs <= 0 || this.#force.signal.aborted) return;
        try {
          await sendClientTermination(this.rpc, e, this.settings.current, {
            timeoutMs,
            signal: this.#force.signal,
          });
        } catch (err) {
          this.logger.debug('termination notice failed', {
            endpoints: endpointKey(e),
            err: RocketMQError.from(err).toJSON(),
          });
        }
      }),
    );
    const grace = this.#force.signal.aborted ? 0 : Math.min(1_000, deadline.remaining());
    await Promise.all(
      [...this.#sessions.values()].map((s) => s.close({ timeoutMs: grace, signal: this.#force.signal })),
    );
    for (const unsubscribe of this.#sessionUnsubscribers.values()) unsubscribe();
    this.#sessionUnsubscribers.clear();
    this.pool.close();
    this.scheduler.close();
  }

  #sessionsWithSettings(): Endpoints[] {
    return [...this.#sessions.values()].filter((s) => s.hasSettings).map((s) => s.endpoints);
  }

  #assertUsable(): void {
    const t = this.#state.t;
    if (t !== 'starting' && t !== 'running') {
      throw new RocketMQError(`The client is not running (state "${t}")`, 'INVALID_STATE');
    }
  }

  #configuredTopics(): string[] {
    const s = this.settings.current;
    return [...new Set([...s.topics, ...s.subscriptions.map((x) => x.topic)])];
  }

  // ── sessions and routes ────────────────────────────────────────────────────

  #ensureSession(endpoints: Endpoints): TelemetrySession {
    const key = endpointKey(endpoints);
    const existing = this.#sessions.get(key);
    if (existing !== undefined) return existing;
    const session = new TelemetrySession({
      endpoints,
      open: telemetryOpener(this.rpc, endpoints),
      settings: () => this.settings.current,
      onServerSettings: (server) => {
        const before = this.settings.current;
        const after = this.settings.apply(server);
        if (after !== before) this.#events.emit('settings.applied', { endpoints: key, settings: after });
      },
      handlers: () => this.#handlers,
      onReconnectRequested: (e) => this.pool.evict(e),
      scheduler: this.scheduler,
      logger: this.logger,
      reconnectBackoff: this.#options.reconnectBackoff,
      settingsSyncIntervalMs: this.#options.settingsSyncIntervalMs,
      random: this.#random,
    });
    this.#sessions.set(key, session);
    this.#sessionUnsubscribers.set(
      key,
      session.on('state', (change) => this.#events.emit('telemetry.state', change)),
    );
    session.start();
    return session;
  }

  #onRouteUpdate(update: RouteUpdate): void {
    const t = this.#state.t;
    if (t === 'starting' || t === 'running') {
      for (const e of update.route.endpoints) this.#ensureSession(e);
      this.#closeDeprecatedSessions();
    }
    this.#events.emit('route.updated', update);
  }

  /**
   * A heartbeat answered `UNRECOGNIZED_CLIENT_TYPE` (40015, "cannot find client settings"): the server
   * lost this client's settings (it restarted, or expired the channel) while our telemetry stream is
   * still in backoff or looks open. Receives fail meanwhile ("settings is null"), so the settings are
   * sent again now — on the open stream, or by cutting the reconnect backoff short — instead of up to
   * 30 s later. Bounded by the heartbeat period.
   */
  #resyncLostSettings(results: readonly HeartbeatResult[]): void {
    if (this.#state.t !== 'running') return;
    for (const r of results) {
      if (r.error?.code !== 'UNRECOGNIZED_CLIENT_TYPE') continue;
      const key = endpointKey(r.endpoints);
      const session = this.#sessions.get(key);
      if (session === undefined) continue;
      const how = session.state === 'open' && session.syncSettings() ? 'resent' : 'reconnect';
      if (how === 'reconnect') session.reconnect('the server lost the client settings');
      this.logger.info('server lost the client settings; sending them again', { endpoints: key, how });
      this.#events.emit('settings.resync', { endpoints: key, how });
    }
  }

  /** Replaces the channel of `endpoints` (the next call connects anew) and renews its telemetry stream. */
  #recoverTransport(endpoints: Endpoints, reason: string): void {
    if (this.#state.t !== 'running') return;
    const key = endpointKey(endpoints);
    this.pool.evict(endpoints);
    this.#sessions.get(key)?.reconnect(`transport recovery: ${reason}`);
    this.#events.emit('transport.recovered', { endpoints: key, reason });
  }

  /** Closes sessions of endpoints that are neither the access point nor in any cached route. */
  #closeDeprecatedSessions(): void {
    const live = new Set(this.endpoints().map(endpointKey));
    for (const [key, session] of this.#sessions) {
      if (live.has(key)) continue;
      this.#sessions.delete(key);
      this.#sessionUnsubscribers.get(key)?.();
      this.#sessionUnsubscribers.delete(key);
      this.logger.debug('telemetry session of a deprecated endpoint closed', { endpoints: key });
      void session.close();
    }
  }
}
