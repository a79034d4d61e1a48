/**
 * The admin client's connections: one per address, opened on first use, reopened after a failure,
 * shared by concurrent calls. Non-success response codes become typed errors.
 *
 * @packageDocumentation
 */

import { type ErrorCode, RocketMQError } from '../../errors.js';
import type { TimerApi } from '../../internal/timers.js';
import { ResponseCode } from './codes.js';
import { RemotingConnection } from './connection.js';
import type { RemotingCredentials, RemotingResponse } from './frame.js';

const CODE_OF: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [ResponseCode.SYSTEM_BUSY, 'TOO_MANY_REQUESTS'],
  [ResponseCode.REQUEST_CODE_NOT_SUPPORTED, 'UNSUPPORTED'],
  [ResponseCode.NO_PERMISSION, 'FORBIDDEN'],
  [ResponseCode.TOPIC_NOT_EXIST, 'TOPIC_NOT_FOUND'],
  [ResponseCode.QUERY_NOT_FOUND, 'MESSAGE_NOT_FOUND'],
  [ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, 'CONSUMER_GROUP_NOT_FOUND'],
  [ResponseCode.CONSUMER_NOT_ONLINE, 'NOT_FOUND'],
  [ResponseCode.NO_MESSAGE, 'MESSAGE_NOT_FOUND'],
]);

/** The error of a non-success response. */
export function responseError(what: string, res: RemotingResponse): RocketMQError {
  const code = CODE_OF.get(res.code) ?? 'INTERNAL_ERROR';
  const remark = res.remark ? `: ${res.remark}` : '';
  return new RocketMQError(`${what} failed (remoting code ${res.code})${remark}`, code, {
    retriable: res.code === ResponseCode.SYSTEM_BUSY,
  });
}

/** One exchange: where, what, and the call's signal and per-request bound. */
export interface Exchange {
  readonly address: string;
  readonly code: number;
  readonly extFields?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | undefined;
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
}

/** Connections by address. */
export class ConnectionPool {
  private readonly connections = new Map<string, Promise<RemotingConnection>>();

  constructor(
    private readonly credentials: RemotingCredentials | undefined,
    private readonly timers: TimerApi | undefined,
  ) {}

  /** Sends one request; resolves with any response code. */
  async call(x: Exchange): Promise<RemotingResponse> {
    const conn = await this.connection(x.address, x.signal, x.timeoutMs);
    return conn.invoke(
      { code: x.code, extFields: x.extFields ?? {}, body: x.body },
      { signal: x.signal, timeoutMs: x.timeoutMs },
    );
  }

  /** Sends one request; a non-success response becomes a typed error. */
  async ok(what: string, x: Exchange): Promise<RemotingResponse> {
    const res = await this.call(x);
    if (res.code !== ResponseCode.SUCCESS) throw responseError(what, res);
    return res;
  }

  /** Requests in flight over every connection. */
  async inFlight(): Promise<number> {
    let n = 0;
    for (const p of this.connections.values()) {
      const c = await p.catch(() => undefined);
      n += c?.inFlight ?? 0;
    }
    return n;
  }

  /** Closes every connection; their requests fail with `CLOSED`. */
  closeAll(): void {
    for (const p of this.connections.values()) p.then((c) => c.close()).catch(() => {});
    this.connections.clear();
  }

  private connection(address: string, signal: AbortSignal, timeoutMs: number): Promise<RemotingConnection> {
    const existing = this.connections.get(address);
    if (existing !== undefined) {
      return existing.then((c) => (c.closed ? this.reopen(address, existing, signal, timeoutMs) : c));
    }
    return this.reopen(address, undefined, signal, timeoutMs);
  }

  private reopen(
    address: string,
    stale: Promise<RemotingConnection> | undefined,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<RemotingConnection> {
    const current = this.connections.get(address);
    if (current !== undefined && current !== stale) return current;
    const opening = RemotingConnection.open(address, {
      signal,
      timeoutMs,
      credentials: this.credentials,
      ...(this.timers ? { timers: this.timers } : {}),
    });
    this.connections.set(address, opening);
    opening.catch(() => {
      if (this.connections.get(address) === opening) this.connections.delete(address);
    });
    return opening;
  }
}
