/**
 * Topic routes, queried at start for every declared topic and refreshed periodically.
 *
 * - Routes are queried on demand; concurrent lookups of one topic share one QueryRoute.
 * - Every cached topic is re-queried every 30 s (by the client's scheduler, never overlapping). A changed
 *   route replaces the cached one and is reported; an unchanged one keeps its identity; a failed refresh
 *   keeps the last good route (and is logged).
 *
 * The query itself is injected ({@link RouteQuery}), so this file has no transport or protobuf code.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { deadlineSignal, linkSignals, raceSignal } from '../internal/abort.js';
import type { Scheduler, TaskHandle } from '../internal/scheduler.js';
import { keyedSharedPromise } from '../internal/shared-promise.js';
import { type Logger, noopLogger } from '../observability/logger.js';
import type { CallOptions } from '../rpc/call.js';
import { type Endpoints, endpointKey } from '../rpc/endpoints.js';
import { sameRoute, type TopicRoute } from './route.js';

/** Fetches one topic's route (e.g. `queryRoute` bound to a client). */
export type RouteQuery = (topic: string, options: CallOptions) => Promise<TopicRoute>;

/** A route that was added or changed. */
export interface RouteUpdate {
  readonly topic: string;
  readonly route: TopicRoute;
  /** The route it replaced; absent for a topic seen for the first time. */
  readonly previous: TopicRoute | undefined;
}

/** Default refresh period: 30 s, as in the official SDKs. */
export const DEFAULT_ROUTE_REFRESH_INTERVAL_MS = 30_000;

/** Options of {@link RouteCache}. */
export interface RouteCacheOptions {
  query: RouteQuery;
  /** Runs the periodic refresh started by {@link RouteCache.startRefresh}. */
  scheduler?: Scheduler | undefined;
  /** @defaultValue 30 s */
  refreshIntervalMs?: number | undefined;
  /** Deadline of each QueryRoute (read per query, so it follows settings changes). @defaultValue 3000 */
  requestTimeoutMs?: (() => number) | undefined;
  logger?: Logger | undefined;
  /** Called after a route was added or changed (errors are caught and logged). */
  onUpdate?: ((update: RouteUpdate) => void) | undefined;
}

/** Cache of topic routes. See the module documentation. */
export class RouteCache {
  readonly #routes = new Map<string, TopicRoute>();
  readonly #query: RouteQuery;
  readonly #scheduler: Scheduler | undefined;
  readonly #refreshIntervalMs: number;
  readonly #requestTimeoutMs: () => number;
  readonly #logger: Logger;
  readonly #onUpdate: ((update: RouteUpdate) => void) | undefined;
  readonly #inFlight: (topic: string) => Promise<TopicRoute>;
  readonly #closer = new AbortController();
  #refreshTask: TaskHandle | undefined;

  constructor(options: RouteCacheOptions) {
    this.#query = options.query;
    this.#scheduler = options.scheduler;
    this.#refreshIntervalMs = options.refreshIntervalMs ?? DEFAULT_ROUTE_REFRESH_INTERVAL_MS;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? (() => 3_000);
    this.#logger = options.logger ?? noopLogger;
    this.#onUpdate = options.onUpdate;
    this.#inFlight = keyedSharedPromise((topic: string) => this.#fetch(topic));
  }

  /** Topics with a cached route. */
  get topics(): string[] {
    return [...this.#routes.keys()];
  }

  /** True once {@link RouteCache.close} was called. */
  get closed(): boolean {
    return this.#closer.signal.aborted;
  }

  /** The cached route of `topic`, without querying. */
  peek(topic: string): TopicRoute | undefined {
    return this.#routes.get(topic);
  }

  /** Distinct endpoints over every cached route. */
  endpoints(): Endpoints[] {
    const seen = new Map<string, Endpoints>();
    for (const route of this.#routes.values()) {
      for (const e of route.endpoints) {
        const key = endpointKey(e);
        if (!seen.has(key)) seen.set(key, e);
      }
    }
    return [...seen.values()];
  }

  /**
   * The route of `topic`: the cached one, else a query (shared with concurrent callers).
   * `signal`/`timeoutMs` bound this caller's wait, not the shared query.
   *
   * @throws RocketMQError from the query (e.g. `TOPIC_NOT_FOUND`), `ABORTED`/`TIMEOUT`, or `CLOSED`.
   */
  async get(topic: string, options: CallOptions = {}): Promise<TopicRoute> {
    const cached = this.#routes.get(topic);
    if (cached !== undefined) return cached;
    return this.refresh(topic, options);
  }

  /** Queries `topic` now (joining a query already in flight) and caches the result. */
  async refresh(topic: string, options: CallOptions = {}): Promise<TopicRoute> {
    if (this.closed) throw new RocketMQError('The route cache is closed', 'CLOSED');
    const deadline = options.timeoutMs === undefined ? undefined : deadlineSignal(options.timeoutMs);
    try {
      return await raceSignal(this.#inFlight(topic), linkSignals(options.signal, deadline?.signal));
    } catch (err) {
      throw RocketMQError.from(err);
    } finally {
      deadline?.clear();
    }
  }

  /**
   * Re-queries every cached topic in parallel. Failures keep the last good route and are logged; this
   * never rejects.
   */
  async refreshAll(): Promise<void> {
    const topics = this.topics;
    await Promise.all(
      topics.map(async (topic) => {
        try {
          await this.#inFlight(topic);
        } catch (err) {
          if (this.closed) return;
          this.#logger.warn('route refresh failed; keeping the last route', {
            topic,
            err: RocketMQError.from(err).toJSON(),
          });
        }
      }),
    );
  }

  /** Starts the periodic refresh on the scheduler (idempotent; a no-op without a scheduler). */
  startRefresh(): void {
    if (this.#refreshTask !== undefined || this.#scheduler === undefined || this.closed) return;
    this.#refreshTask = this.#scheduler.every(this.#refreshIntervalMs, () => this.refreshAll(), {
      name: 'route-refresh',
    });
  }

  /** Stops refreshing, aborts queries in flight and refuses new lookups. Cached routes stay readable. */
  close(): void {
    if (this.closed) return;
    this.#refreshTask?.cancel();
    this.#refreshTask = undefined;
    this.#closer.abort(new RocketMQError('The route cache is closed', 'CLOSED'));
  }

  async #fetch(topic: string): Promise<TopicRoute> {
    const route = await this.#query(topic, {
      signal: this.#closer.signal,
      timeoutMs: this.#requestTimeoutMs(),
    });
    if (this.closed) return route;
    const previous = this.#routes.get(topic);
    if (previous !== undefined && sameRoute(previous, route)) return previous;
    this.#routes.set(topic, route);
    this.#logger.debug('route updated', {
      topic,
      queues: route.queues.length,
      changed: previous !== undefined,
    });
    if (this.#onUpdate !== undefined) {
      try {
        this.#onUpdate({ topic, route, previous });
      } catch (err) {
        this.#logger.warn('route update listener failed', { topic, err });
      }
    }
    return route;
  }
}
