/**
 * One TCP connection to a name server or broker speaking the remoting protocol: requests are matched
 * to responses by `opaque`; requests the server sends on its own (e.g. consumer-ids-changed) are ignored.
 *
 * @packageDocumentation
 */

import { connect, type Socket } from 'node:net';
import { deadlineSignal, linkSignals } from '../../internal/abort.js';
import { systemTimers, type TimerApi } from '../../internal/timers.js';
import { RocketMQError } from '../../errors.js';
import {
  encodeRequest,
  FrameDecoder,
  type RemotingCredentials,
  type RemotingFrame,
  type RemotingRequest,
  type RemotingResponse,
} from './frame.js';

/** `{ signal, timeoutMs }` of one remoting exchange. */
export interface RemotingCallOptions {
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs: number;
}

interface Pending {
  readonly resolve: (r: RemotingResponse) => void;
  readonly reject: (e: RocketMQError) => void;
}

function toError(reason: unknown, what: string): RocketMQError {
  const e = RocketMQError.from(reason, 'UNAVAILABLE');
  return e.code === 'TIMEOUT' ? new RocketMQError(`${what} timed out`, 'TIMEOUT', { cause: reason }) : e;
}

/** Splits `host:port` (IPv6 hosts in brackets or bare). */
export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new RocketMQError(`Address "${address}" is not host:port`, 'INVALID_ARGUMENT');
  }
  return { host, port };
}

/** A remoting connection; create with {@link RemotingConnection.open}. */
export class RemotingConnection {
  private readonly decoder = new FrameDecoder();
  private readonly pending = new Map<number, Pending>();
  private nextOpaque = 1;
  private closedError: RocketMQError | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    private readonly credentials: RemotingCredentials | undefined,
    private readonly timers: TimerApi,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) =>
      this.fail(
        new RocketMQError(`Connection to ${address} failed: ${e.message}`, 'UNAVAILABLE', { cause: e }),
      ),
    );
    socket.on('close', () => this.fail(new RocketMQError(`Connection to ${address} closed`, 'UNAVAILABLE')));
  }

  /** Opens a connection; rejects with `UNAVAILABLE`, `TIMEOUT` or `ABORTED`. */
  static open(
    address: string,
    options: RemotingCallOptions & { credentials?: RemotingCredentials | undefined; timers?: TimerApi },
  ): Promise<RemotingConnection> {
    const { host, port } = splitAddress(address);
    const timers = options.timers ?? systemTimers;
    const deadline = deadlineSignal(options.timeoutMs, timers);
    const signal = linkSignals(options.signal, deadline.signal);
    return new Promise<RemotingConnection>((resolve, reject) => {
      if (signal.aborted) {
        deadline.clear();
        reject(toError(signal.reason, `Connecting to ${address}`));
        return;
      }
      const socket = connect({ host, port });
      const onAbort = () => {
        socket.destroy();
        settle();
        reject(toError(signal.reason, `Connecting to ${address}`));
      };
      const onError = (e: Error) => {
        settle();
        reject(new RocketMQError(`Cannot connect to ${address}: ${e.message}`, 'UNAVAILABLE', { cause: e }));
      };
      const settle = () => {
        deadline.clear();
        signal.removeEventListener('abort', onAbort);
        socket.removeListener('error', onError);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('error', onError);
      socket.once('connect', () => {
        settle();
        socket.setNoDelay(true);
        resolve(new RemotingConnection(socket, address, options.credentials, timers));
      });
    });
  }

  /** True once closed or broken; a closed connection refuses new requests. */
  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Number of requests awaiting their response. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Sends a request and waits for its response (any response code: callers check it). */
  invoke(request: RemotingRequest, options: RemotingCallOptions): Promise<RemotingResponse> {
    if (this.closedError) return Promise.reject(this.closedError);
    const opaque = this.nextOpaque++;
    const what = `Request ${request.code} to ${this.address}`;
    const deadline = deadlineSignal(options.timeoutMs, this.timers);
    const signal = linkSignals(options.signal, deadline.signal);
    if (signal.aborted) {
      deadline.clear();
      return Promise.reject(toError(signal.reason, what));
    }
    return new Promise<RemotingResponse>((resolve, reject) => {
      const done = () => {
        deadline.clear();
        signal.removeEventListener('abort', onAbort);
        this.pending.delete(opaque);
      };
      const onAbort = () => {
        done();
        reject(toError(signal.reason, what));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(opaque, {
        resolve: (r) => {
          done();
          resolve(r);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      this.socket.write(encodeRequest(request, opaque, this.credentials));
    });
  }

  /** Closes the socket; requests in flight fail with `CLOSED`. Idempotent. */
  close(): void {
    this.fail(new RocketMQError(`Connection to ${this.address} closed by the client`, 'CLOSED'));
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let frames: RemotingFrame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      this.fail(RocketMQError.from(e));
      this.socket.destroy();
      return;
    }
    for (const f of frames) {
      if (!f.isResponse) continue;
      this.pending.get(f.opaque)?.resolve(f);
    }
  }

  private fail(e: RocketMQError): void {
    this.closedError ??= e;
    for (const p of [...this.pending.values()]) p.reject(e);
  }
}
