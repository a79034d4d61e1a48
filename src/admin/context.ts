/**
 * What every admin operation gets: the connections, the name servers, the operation's signal and
 * per-request bound, and the clock.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import { parseBody } from './remoting/json.js';
import type { ConnectionPool } from './remoting/pool.js';

export interface OpContext {
  readonly pool: ConnectionPool;
  readonly namesrv: readonly string[];
  readonly signal: AbortSignal;
  readonly requestTimeoutMs: number;
  readonly clock: Clock;
}

/** Sends a request to the first name server that answers; a non-success answer is thrown. */
export async function namesrvCall(
  ctx: OpContext,
  what: string,
  code: number,
  extFields: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  let last: unknown;
  for (const address of ctx.namesrv) {
    try {
      const res = await ctx.pool.ok(what, {
        address,
        code,
        extFields,
        signal: ctx.signal,
        timeoutMs: ctx.requestTimeoutMs,
      });
      return parseBody(res.body);
    } catch (e) {
      const err = RocketMQError.from(e);
      // A refusal is the answer; only unreachable name servers are skipped.
      if (err.code !== 'UNAVAILABLE' && err.code !== 'TIMEOUT') throw err;
      if (ctx.signal.aborted) throw err;
      last = err;
    }
  }
  throw RocketMQError.from(last ?? new RocketMQError('No name server configured', 'INVALID_STATE'));
}

/** Sends a request to a broker and parses the body of its success answer. */
export async function brokerCall(
  ctx: OpContext,
  what: string,
  address: string,
  code: number,
  extFields: Record<string, string> = {},
  body?: Uint8Array,
): Promise<Record<string, unknown>> {
  const res = await ctx.pool.ok(what, {
    address,
    code,
    extFields,
    body,
    signal: ctx.signal,
    timeoutMs: ctx.requestTimeoutMs,
  });
  return parseBody(res.body);
}

/** `value` as a record (empty when it is not an object). */
export function rec(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** `value` as a number (0 when it is not one). */
export function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

/** `value` as a string (empty when it is not one). */
export function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
