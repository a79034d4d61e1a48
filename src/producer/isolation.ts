/**
 * Endpoint isolation: an endpoint whose send failed with a retriable error is
 * avoided by non-FIFO queue selection until it is healthy again. Unlike the official Node SDK (which
 * never re-admits), an isolated endpoint is re-admitted as soon as a Heartbeat to it succeeds: the
 * producer probes isolated endpoints on the heartbeat period ({@link EndpointIsolation.probe}), and any
 * other success report ({@link EndpointIsolation.readmit}) also counts.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { type Endpoints, endpointKey } from '../rpc/endpoints.js';

/** The set of isolated endpoints of one producer. */
export class EndpointIsolation {
  readonly #isolated = new Map<string, Endpoints>();
  readonly #logger: Logger | undefined;

  constructor(logger?: Logger) {
    this.#logger = logger;
  }

  /** Keys of the isolated endpoints. */
  get keys(): string[] {
    return [...this.#isolated.keys()];
  }

  get size(): number {
    return this.#isolated.size;
  }

  /** True when the endpoint (by key) is isolated. */
  isIsolated(key: string): boolean {
    return this.#isolated.has(key);
  }

  /** Isolates an endpoint. Returns true when it was not isolated before. */
  isolate(endpoints: Endpoints, reason?: RocketMQError): boolean {
    const key = endpointKey(endpoints);
    if (this.#isolated.has(key)) return false;
    this.#isolated.set(key, endpoints);
    this.#logger?.info('endpoint isolated', { endpoints: key, err: reason?.toJSON() });
    return true;
  }

  /** Re-admits an endpoint (by endpoints or key). Returns true when it was isolated. */
  readmit(endpoints: Endpoints | string): boolean {
    const key = typeof endpoints === 'string' ? endpoints : endpointKey(endpoints);
    const removed = this.#isolated.delete(key);
    if (removed) this.#logger?.info('endpoint re-admitted', { endpoints: key });
    return removed;
  }

  /**
   * Probes every isolated endpoint once, in parallel, and re-admits those whose probe resolves. Never
   * rejects. Returns the keys re-admitted.
   */
  async probe(check: (endpoints: Endpoints) => Promise<void>): Promise<string[]> {
    const entries = [...this.#isolated.entries()];
    const results = await Promise.all(
      entries.map(async ([key, e]) => {
        try {
          await check(e);
          return this.readmit(key) ? key : undefined;
        } catch (err) {
          this.#logger?.debug('isolated endpoint still unhealthy', {
            endpoints: key,
            err: RocketMQError.from(err).toJSON(),
          });
          return undefined;
        }
      }),
    );
    return results.filter((k): k is string => k !== undefined);
  }

  clear(): void {
    this.#isolated.clear();
  }
}
