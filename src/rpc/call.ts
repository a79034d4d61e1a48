/**
 * The one gRPC adapter of the library: every MessagingService call goes through
 * {@link RpcClient}, driven by the generated `DescMethod` descriptors — no per-RPC wrappers here.
 *
 * For every call it:
 * - borrows the endpoint's channel from the {@link ChannelPool} (released when the call ends);
 * - builds fresh `x-mq-*` headers with {@link buildRequestMetadata} (new request id, date-time and
 *   signature; credentials are resolved from the provider per call, so rotation works). Headers go in a
 *   per-call `Metadata` rather than grpc-js `CallCredentials`, because grpc-js refuses call credentials
 *   on plaintext channels, the proxy's common mode;
 * - turns `timeoutMs` into a grpc-js deadline and `signal` into `call.cancel()`, removing the abort
 *   listener when the call ends;
 * - maps failures to {@link RocketMQError}: a cancellation the caller asked for becomes `ABORTED`
 *   (or `TIMEOUT` when the caller's signal carried a `TimeoutError`), other gRPC statuses go through
 *   `grpcStatusToError` (deadline → `TIMEOUT`); the request id is kept on the error.
 *
 * Header values (notably `authorization`) are never logged.
 *
 * @packageDocumentation
 */

import { randomUUID } from 'node:crypto';
import {
  create,
  type DescMessage,
  type DescMethod,
  type DescMethodBiDiStreaming,
  type DescMethodServerStreaming,
  type DescMethodUnary,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { grpcStatusToError, RocketMQError } from '../errors.js';
import { isTimeoutError } from '../internal/abort.js';
import { AsyncQueue } from '../internal/async-queue.js';
import { type Clock, systemClock } from '../internal/clock.js';
import { createDeferred } from '../internal/deferred.js';
import { type Logger, noopLogger } from '../observability/logger.js';
import { type Credentials, type CredentialsProvider, resolveCredentials } from './auth/credentials.js';
import type { ChannelLease, ChannelPool } from './channel-pool.js';
import { type Endpoints, endpointKey } from './endpoints.js';
import { whenAborted } from './abort-fanout.js';
import { formatDateTime } from './auth/signer.js';
import { buildRequestMetadata, type ClientLanguage, HEADERS } from './metadata.js';
import { checkStatus } from './status.js';

/** Per-call options: an abort signal and a timeout, as every async method of the library takes. */
export interface CallOptions {
  /** Aborting cancels the call; it then fails with `ABORTED` (or `TIMEOUT` for a `TimeoutError` reason). */
  signal?: AbortSignal | undefined;
  /**
   * gRPC deadline of this call, in ms. `Infinity` means none.
   * @defaultValue the client's `defaultTimeoutMs` (bidi streams: none)
   */
  timeoutMs?: number | undefined;
}

/** A unary call's response with the request id that was sent. */
export interface UnaryResult<T> {
  readonly response: T;
  readonly requestId: string;
}

/** A server-streaming call: iterate the responses; `cancel()` (or leaving the loop) stops the call. */
export interface ServerStreamCall<T> extends AsyncIterable<T> {
  readonly requestId: string;
  /** Cancels the call; iteration ends with a `CANCELLED`-coded error unless it already finished. */
  cancel(): void;
}

/**
 * A bidirectional stream. Iterate it for the server's messages; iteration ends normally when the server
 * completes the call and throws a {@link RocketMQError} when the call fails.
 */
export interface BidiCall<I extends DescMessage, O extends DescMessage>
  extends AsyncIterable<MessageShape<O>> {
  readonly requestId: string;
  /** Sends one message; returns false (and drops it) once the call was half-closed, cancelled or ended. */
  write(message: MessageInitShape<I> | MessageShape<I>): boolean;
  /** Half-closes the call (no more writes); the server then completes it. Idempotent. */
  end(): void;
  /** Cancels the call. Idempotent. */
  cancel(): void;
  /** True once the call has finished (status received) or was cancelled. */
  readonly finished: boolean;
  /** Settles when the call finishes: `undefined` for an OK status, else the error. Never rejects. */
  readonly done: Promise<RocketMQError | undefined>;
}

/** Options of {@link RpcClient}. */
export interface RpcClientOptions {
  /** Channels to use (owned by the caller, which also closes it). */
  pool: ChannelPool;
  /** Sent as `x-mq-client-id`. */
  clientId: string;
  /** Sent as `x-mq-namespace` when non-empty. */
  namespace?: string | undefined;
  /** Credentials for signing; without them requests are anonymous. */
  credentials?: CredentialsProvider | undefined;
  /** `x-mq-language`. @defaultValue `'NODE_JS'` */
  language?: ClientLanguage | undefined;
  /** `x-mq-client-version`. @defaultValue `PROTOCOL_CLIENT_VERSION` (see `src/version.ts`) */
  clientVersion?: string | undefined;
  /** Source of `x-mq-date-time`. @defaultValue {@link systemClock} */
  clock?: Clock | undefined;
  /**
   * Deadline of unary and server-streaming calls without `timeoutMs`; a function is read per call (so it
   * can follow the server's settings). @defaultValue 3000
   */
  defaultTimeoutMs?: number | (() => number) | undefined;
  logger?: Logger | undefined;
  /** Source of request ids (test seam). @defaultValue `crypto.randomUUID` */
  requestId?: (() => string) | undefined;
}

/**
 * A request message already encoded to its wire bytes (a hand-written encoder of a hot path); the
 * phantom `I` ties it to the method's input type.
 */
export class EncodedRequest<I extends DescMessage = DescMessage> {
  declare readonly _input?: I;
  constructor(readonly bytes: Buffer) {}
}

const passBytes = (bytes: Buffer): Buffer => bytes;

/** Default deadline of unary calls: 3 s, as in the official SDKs. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 3_000;

/** The gRPC path of a method: `/apache.rocketmq.v2.MessagingService/QueryRoute`. */
export function methodPath(method: Pick<DescMethod, 'name' | 'parent'>): string {
  return `/${method.parent.typeName}/${method.name}`;
}

// Per-call work kept out of the hot path: paths and codec functions are made once per descriptor.
const paths = new WeakMap<object, string>();
const serializers = new WeakMap<DescMessage, (value: never) => Buffer>();
const deserializers = new WeakMap<DescMessage, (bytes: Buffer) => unknown>();

function pathOf(method: DescMethod): string {
  let path = paths.get(method);
  if (path === undefined) {
    path = methodPath(method);
    paths.set(method, path);
  }
  return path;
}

function serializer<I extends DescMessage>(schema: I): (value: MessageShape<I>) => Buffer {
  let fn = serializers.get(schema) as ((value: MessageShape<I>) => Buffer) | undefined;
  if (fn === undefined) {
    fn = (value) => {
      const bytes = toBinary(schema, value);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    };
    serializers.set(schema, fn as (value: never) => Buffer);
  }
  return fn;
}

function deserializer<O extends DescMessage>(schema: O): (bytes: Buffer) => MessageShape<O> {
  let fn = deserializers.get(schema) as ((bytes: Buffer) => MessageShape<O>) | undefined;
  if (fn === undefined) {
    fn = (bytes) => fromBinary(schema, bytes);
    deserializers.set(schema, fn);
  }
  return fn;
}

const noAbortWatch = (): void => {};

function isServiceError(err: unknown): err is grpc.ServiceError {
  return err !== null && typeof err === 'object' && typeof (err as { code?: unknown }).code === 'number';
}

function abortedError(signal: AbortSignal, requestId: string | undefined): RocketMQError {
  const reason: unknown = signal.reason;
  const timeout = isTimeoutError(reason);
  const detail = reason instanceof Error && reason.message !== '' ? `: ${reason.message}` : '';
  return new RocketMQError(
    timeout ? `The call timed out${detail}` : `The call was aborted${detail}`,
    timeout ? 'TIMEOUT' : 'ABORTED',
    { cause: reason, ...(requestId === undefined ? {} : { requestId }) },
  );
}

/** Headers of one call plus its request id. */
interface PreparedMetadata {
  readonly metadata: grpc.Metadata;
  readonly requestId: string;
}

/**
 * Sends MessagingService calls. One instance per client; stateless apart from the pool it uses.
 *
 * @example
 * ```ts
 * const { response, requestId } = await rpc.unary(endpoints, MessagingService.method.queryRoute, request, { timeoutMs: 3000 });
 * checkStatus(response.status, { requestId });
 * ```
 */
export class RpcClient {
  readonly #pool: ChannelPool;
  readonly #clientId: string;
  readonly #namespace: string | undefined;
  readonly #credentials: CredentialsProvider | undefined;
  readonly #language: ClientLanguage | undefined;
  readonly #clientVersion: string | undefined;
  readonly #clock: Clock;
  readonly #defaultTimeoutMs: () => number;
  readonly #logger: Logger;
  readonly #requestId: () => string;
  #anonymousBase: grpc.Metadata | undefined;

  constructor(options: RpcClientOptions) {
    this.#pool = options.pool;
    this.#clientId = options.clientId;
    this.#namespace = options.namespace;
    this.#credentials = options.credentials;
    this.#language = options.language;
    this.#clientVersion = options.clientVersion;
    this.#clock = options.clock ?? systemClock;
    const timeout = options.defaultTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#defaultTimeoutMs = typeof timeout === 'function' ? timeout : () => timeout;
    this.#logger = options.logger ?? noopLogger;
    this.#requestId = options.requestId ?? randomUUID;
  }

  /** The client id sent with every call. */
  get clientId(): string {
    return this.#clientId;
  }

  /** The pool this client borrows channels from. */
  get pool(): ChannelPool {
    return this.#pool;
  }

  /**
   * Sends a unary call and returns the response (whatever its in-band status) with the request id.
   *
   * @throws RocketMQError `ABORTED`/`TIMEOUT` (signal), `TIMEOUT` (deadline), the mapped gRPC status
   * otherwise (e.g. `UNAVAILABLE`), `CLOSED` when the pool is closed.
   */
  async unary<I extends DescMessage, O extends DescMessage>(
    endpoints: Endpoints,
    method: DescMethodUnary<I, O>,
    request: MessageInitShape<I> | MessageShape<I> | EncodedRequest<I>,
    options: CallOptions = {},
  ): Promise<UnaryResult<MessageShape<O>>> {
    const { signal } = options;
    if (signal?.aborted) throw abortedError(signal, undefined);
    const encoded = request instanceof EncodedRequest;
    const message = encoded ? request.bytes : create(method.input, request as MessageInitShape<I>);
    const { metadata, requestId } =
      this.#credentials === undefined ? this.#headers(undefined) : await this.#prepare();
    if (signal?.aborted) throw abortedError(signal, requestId);
    const lease = this.#pool.acquire(endpoints);
    const path = pathOf(method);
    return new Promise<UnaryResult<MessageShape<O>>>((resolve, reject) => {
      let call: grpc.ClientUnaryCall | undefined;
      let unwatch = noAbortWatch;
      const finish = (): void => {
        unwatch();
        lease.release();
      };
      try {
        call = lease.client.makeUnaryRequest(
          path,
          (encoded ? passBytes : serializer(method.input)) as (value: unknown) => Buffer,
          deserializer(method.output),
          message,
          metadata,
          this.#callOptions(options.timeoutMs ?? this.#defaultTimeoutMs()),
          (err: grpc.ServiceError | null, response?: MessageShape<O>) => {
            finish();
            if (err === null && response !== undefined) resolve({ response, requestId });
            else reject(this.#mapError(err, signal, requestId, path, endpoints));
          },
        );
      } catch (err) {
        finish();
        reject(this.#mapError(err, signal, requestId, path, endpoints));
        return;
      }
      // A cancelled call holds nothing any more (its status arrives later): released at once.
      unwatch = whenAborted(signal, () => {
        call?.cancel();
        finish();
      });
    });
  }

  /**
   * {@link RpcClient.unary} followed by a check of the response's top-level `status`.
   *
   * @throws RocketMQError as `unary`, plus the broker's code (with `requestId`) for a non-OK status.
   */
  async invoke<I extends DescMessage, O extends DescMessage>(
    endpoints: Endpoints,
    method: DescMethodUnary<I, O>,
    request: MessageInitShape<I> | MessageShape<I>,
    options: CallOptions = {},
  ): Promise<MessageShape<O>> {
    const { response, requestId } = await this.unary(endpoints, method, request, options);
    checkStatus((response as { status?: { code: number; message: string } }).status, { requestId });
    return response;
  }

  /**
   * Starts a server-streaming call. Iterating yields the responses; the loop throws a
   * {@link RocketMQError} when the call fails. Leaving the loop early cancels the call.
   */
  async serverStream<I extends DescMessage, O extends DescMessage>(
    endpoints: Endpoints,
    method: DescMethodServerStreaming<I, O>,
    request: MessageInitShape<I> | MessageShape<I>,
    options: CallOptions = {},
  ): Promise<ServerStreamCall<MessageShape<O>>> {
    const { signal } = options;
    if (signal?.aborted) throw abortedError(signal, undefined);
    const message = create(method.input, request as MessageInitShape<I>);
    const { metadata, requestId } =
      this.#credentials === undefined ? this.#headers(undefined) : await this.#prepare();
    if (signal?.aborted) throw abortedError(signal, requestId);
    const lease = this.#pool.acquire(endpoints, 'stream');
    const path = pathOf(method);
    let call: grpc.ClientReadableStream<MessageShape<O>>;
    const queue = new AsyncQueue<MessageShape<O>>({ onReturn: () => cancel() });
    let unwatch = noAbortWatch;
    const finish = (): void => {
      unwatch();
      lease.release();
    };
    // A cancelled stream holds nothing any more (its status arrives later): released at once.
    const cancel = (): void => {
      call.cancel();
      finish();
    };
    try {
      call = lease.client.makeServerStreamRequest(
        path,
        serializer(method.input),
        deserializer(method.output),
        message,
        metadata,
        this.#callOptions(options.timeoutMs ?? this.#defaultTimeoutMs()),
      );
    } catch (err) {
      finish();
      throw this.#mapError(err, signal, requestId, path, endpoints);
    }
    call.on('data', (response: MessageShape<O>) => queue.push(response));
    call.on('end', () => queue.close());
    call.on('error', (err: unknown) => {
      finish();
      queue.fail(this.#mapError(err, signal, requestId, path, endpoints));
    });
    call.on('status', finish);
    unwatch = whenAborted(signal, cancel);
    return {
      requestId,
      cancel,
      [Symbol.asyncIterator]: () => queue,
    };
  }

  /**
   * Opens a bidirectional stream (no deadline unless `timeoutMs` is given). Headers are generated once,
   * when the stream opens.
   */
  async bidi<I extends DescMessage, O extends DescMessage>(
    endpoints: Endpoints,
    method: DescMethodBiDiStreaming<I, O>,
    options: CallOptions = {},
  ): Promise<BidiCall<I, O>> {
    const { signal } = options;
    if (signal?.aborted) throw abortedError(signal, undefined);
    const { metadata, requestId } =
      this.#credentials === undefined ? this.#headers(undefined) : await this.#prepare();
    if (signal?.aborted) throw abortedError(signal, requestId);
    const lease = this.#pool.acquire(endpoints, 'stream');
    const path = pathOf(method);
    let call: grpc.ClientDuplexStream<MessageShape<I>, MessageShape<O>>;
    try {
      call = lease.client.makeBidiStreamRequest(
        path,
        serializer(method.input),
        deserializer(method.output),
        metadata,
        this.#callOptions(options.timeoutMs ?? Number.POSITIVE_INFINITY),
      );
    } catch (err) {
      lease.release();
      throw this.#mapError(err, signal, requestId, path, endpoints);
    }
    return new BidiCallImpl<I, O>(call, method.input, requestId, lease, signal, (err) =>
      this.#mapError(err, signal, requestId, path, endpoints),
    );
  }

  async #prepare(): Promise<PreparedMetadata> {
    const credentials =
      this.#credentials === undefined ? undefined : await resolveCredentials(this.#credentials);
    return this.#headers(credentials);
  }

  /** The headers of one call (synchronous: anonymous calls need no credentials lookup). */
  #headers(credentials: Credentials | undefined): PreparedMetadata {
    const requestId = this.#requestId();
    if (credentials === undefined) return { metadata: this.#anonymousHeaders(requestId), requestId };
    const headers = buildRequestMetadata({
      clientId: this.#clientId,
      namespace: this.#namespace,
      credentials,
      language: this.#language,
      clientVersion: this.#clientVersion,
      clock: this.#clock,
      requestId: () => requestId,
    });
    const metadata = new grpc.Metadata();
    for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
    return { metadata, requestId };
  }

  /**
   * Anonymous headers: the fixed ones are built (and checked) once and cloned per call; only the
   * request id and the date-time change.
   */
  #anonymousHeaders(requestId: string): grpc.Metadata {
    let base = this.#anonymousBase;
    if (base === undefined) {
      const headers = buildRequestMetadata({
        clientId: this.#clientId,
        namespace: this.#namespace,
        language: this.#language,
        clientVersion: this.#clientVersion,
        clock: this.#clock,
        requestId: () => requestId,
      });
      base = new grpc.Metadata();
      for (const [name, value] of Object.entries(headers)) {
        if (name !== HEADERS.requestId && name !== HEADERS.dateTime) base.set(name, value);
      }
      this.#anonymousBase = base;
    }
    const metadata = base.clone();
    metadata.set(HEADERS.requestId, requestId);
    // formatDateTime reuses its string within a second.
    metadata.set(HEADERS.dateTime, formatDateTime(this.#clock.now()));
    return metadata;
  }

  #callOptions(timeoutMs: number): grpc.CallOptions {
    if (!Number.isFinite(timeoutMs)) return {};
    // grpc-js compares deadlines with the real wall clock, so the injected clock is not used here.
    return { deadline: systemClock.now() + Math.max(0, timeoutMs) };
  }

  #mapError(
    err: unknown,
    signal: AbortSignal | undefined,
    requestId: string,
    path: string,
    endpoints: Endpoints,
  ): RocketMQError {
    let mapped: RocketMQError;
    if (signal?.aborted && (!isServiceError(err) || err.code === grpc.status.CANCELLED)) {
      mapped = abortedError(signal, requestId);
    } else if (isServiceError(err)) {
      mapped = grpcStatusToError(err.code, err.details, { requestId, cause: err });
    } else if (err instanceof RocketMQError) {
      mapped = err;
    } else {
      mapped = new RocketMQError('The call failed unexpectedly', 'INTERNAL', { requestId, cause: err });
    }
    this.#logger.debug('rpc failed', {
      method: path,
      endpoints: endpointKey(endpoints),
      requestId,
      code: mapped.code,
      ...(mapped.grpcCode === undefined ? {} : { grpcCode: mapped.grpcCode }),
    });
    return mapped;
  }
}

class BidiCallImpl<I extends DescMessage, O extends DescMessage> implements BidiCall<I, O> {
  readonly requestId: string;
  readonly #call: grpc.ClientDuplexStream<MessageShape<I>, MessageShape<O>>;
  readonly #input: I;
  readonly #queue: AsyncQueue<MessageShape<O>>;
  readonly #done = createDeferred<RocketMQError | undefined>();
  readonly #lease: ChannelLease;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.cancel();
  #halfClosed = false;
  #cancelled = false;
  #finished = false;

  constructor(
    call: grpc.ClientDuplexStream<MessageShape<I>, MessageShape<O>>,
    input: I,
    requestId: string,
    lease: ChannelLease,
    signal: AbortSignal | undefined,
    mapError: (err: unknown) => RocketMQError,
  ) {
    this.#call = call;
    this.#input = input;
    this.requestId = requestId;
    this.#lease = lease;
    this.#signal = signal;
    this.#queue = new AsyncQueue<MessageShape<O>>({ onReturn: () => this.cancel() });
    call.on('data', (message: MessageShape<O>) => this.#queue.push(message));
    call.on('end', () => this.#queue.close());
    call.on('error', (err: unknown) => {
      const mapped = mapError(err);
      this.#queue.fail(mapped);
      this.#finish(mapped);
    });
    call.on('status', (status: grpc.StatusObject) => {
      if (status.code === grpc.status.OK) this.#finish(undefined);
    });
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get finished(): boolean {
    return this.#finished || this.#cancelled;
  }

  get done(): Promise<RocketMQError | undefined> {
    return this.#done.promise;
  }

  write(message: MessageInitShape<I> | MessageShape<I>): boolean {
    if (this.#halfClosed || this.finished) return false;
    this.#call.write(create(this.#input, message as MessageInitShape<I>));
    return true;
  }

  end(): void {
    if (this.#halfClosed || this.finished) return;
    this.#halfClosed = true;
    this.#call.end();
  }

  cancel(): void {
    if (this.finished) return;
    this.#cancelled = true;
    this.#call.cancel();
    // A cancelled stream holds nothing any more (its status arrives later): released at once.
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#lease.release();
  }

  [Symbol.asyncIterator](): AsyncIterator<MessageShape<O>> {
    return this.#queue;
  }

  #finish(result: RocketMQError | undefined): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#lease.release();
    this.#done.resolve(result);
  }
}
