/**
 * The Telemetry bidi stream of one endpoint, which carries the Settings handshake and the server's
 * commands.
 *
 * State machine (a tagged union with ONE transition function and an allow-list):
 *
 * ```
 * idle ──► connecting ──► open ──► backoff ──► connecting …
 *   └──────────┴───────────┴─────────┴──► closed
 * ```
 *
 * Every transition is logged at debug, emitted as a `state` event, and runs the old state's exit
 * cleanup (abort the pending open, cancel the settings-sync timer, cancel or half-close the stream,
 * cancel the backoff timer).
 *
 * - On every (re)connect the client's Settings frame is written first; it is re-sent every 5 min on a
 *   live stream (that is how server-side policy changes arrive).
 * - {@link TelemetrySession.waitForSettings} resolves on the server's Settings reply and fails with
 *   `SETTINGS_TIMEOUT` after its timeout. A status-only non-OK frame (e.g. 40100 UNAUTHORIZED) or any
 *   non-retriable stream error fails waiters at once.
 * - Reconnects use jittered exponential backoff (default 1 s → 30 s, ×2, ±20 %); the attempt counter is
 *   reset only by a Settings reply, so a stream the server keeps refusing (bad credentials) backs off
 *   instead of hammering.
 * - Server commands are dispatched with an exhaustive switch on `command.case` to handlers supplied by
 *   the client.
 *
 * @packageDocumentation
 */

import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { brokerStatusToError, RocketMQError } from '../errors.js';
import { Code, type Message as ProtoMessage } from '../gen/apache/rocketmq/v2/definition_pb.js';
import {
  MessagingService,
  type TelemetryCommand,
  TelemetryCommandSchema,
} from '../gen/apache/rocketmq/v2/service_pb.js';
import { linkSignals } from '../internal/abort.js';
import {
  type BackoffPolicy,
  backoffDelay,
  exponentialBackoff,
  type RandomSource,
} from '../internal/backoff.js';
import { createDeferred, type Deferred } from '../internal/deferred.js';
import type { Scheduler, TaskHandle } from '../internal/scheduler.js';
import { type Logger, noopLogger } from '../observability/logger.js';
import type { CallOptions, RpcClient } from '../rpc/call.js';
import { type Endpoints, endpointKey } from '../rpc/endpoints.js';
import { TypedEmitter } from './events.js';
import type { EffectiveSettings, ServerSettings } from './settings.js';
import { fromProtoSettings, toProtoSettings } from './settings-convert.js';

/** A message as carried on the wire (decode it with the protocol codec). */
export type WireMessage = ProtoMessage;

/** The stream a session drives (an `RpcClient.bidi` call for Telemetry, or a fake in tests). */
export interface TelemetryStream extends AsyncIterable<TelemetryCommand> {
  write(command: MessageInitShape<typeof TelemetryCommandSchema> | TelemetryCommand): boolean;
  end(): void;
  cancel(): void;
  readonly finished: boolean;
  readonly done: Promise<RocketMQError | undefined>;
}

/** Opens one Telemetry stream. */
export type TelemetryOpener = (options: CallOptions) => Promise<TelemetryStream>;

/** Opens Telemetry streams to `endpoints` through `rpc`. */
export function telemetryOpener(rpc: RpcClient, endpoints: Endpoints): TelemetryOpener {
  return (options) => rpc.bidi(endpoints, MessagingService.method.telemetry, options);
}

/** Outcome of verifying a message (answer to `VerifyMessageCommand`). */
export interface VerifyOutcome {
  readonly code: 'OK' | 'FAILED_TO_CONSUME_MESSAGE' | 'MESSAGE_CORRUPTED' | 'VERIFY_FIFO_MESSAGE_UNSUPPORTED';
  readonly message?: string;
}

/** Context of a server command. */
export interface CommandContext {
  /** The endpoint whose session received the command (e.g. where EndTransaction must go). */
  readonly endpoints: Endpoints;
}

/** Handlers for server-initiated commands. All optional; errors they throw are caught and logged. */
export interface TelemetryHandlers {
  /** A broker transaction check: resolve it (EndTransaction to `context.endpoints`) or ignore it. */
  recoverOrphanedTransaction?(
    command: { readonly transactionId: string; readonly message: WireMessage | undefined },
    context: CommandContext,
  ): void | Promise<void>;
  /** Consume a message directly (push consumers); without a handler the answer is NOT_IMPLEMENTED. */
  verifyMessage?(
    command: { readonly nonce: string; readonly message: WireMessage | undefined },
    context: CommandContext,
  ): VerifyOutcome | Promise<VerifyOutcome>;
  /** The server dropped a lite-topic subscription. */
  notifyUnsubscribeLite?(command: { readonly liteTopic: string }, context: CommandContext): void;
}

/** Public names of the session states. */
export type TelemetryStateName = 'idle' | 'connecting' | 'open' | 'backoff' | 'closed';

/** Allowed transitions. */
export const ALLOWED_TRANSITIONS: Readonly<Record<TelemetryStateName, readonly TelemetryStateName[]>> =
  Object.freeze({
    idle: Object.freeze(['connecting', 'closed'] as const),
    connecting: Object.freeze(['open', 'backoff', 'closed'] as const),
    open: Object.freeze(['backoff', 'closed'] as const),
    backoff: Object.freeze(['connecting', 'closed'] as const),
    closed: Object.freeze([] as const),
  });

/** True when the allow-list permits `from → to`. */
export function canTransition(from: TelemetryStateName, to: TelemetryStateName): boolean {
  return (ALLOWED_TRANSITIONS[from] as readonly TelemetryStateName[]).includes(to);
}

type SessionState =
  | { readonly t: 'idle' }
  | { readonly t: 'connecting'; readonly attempt: number; readonly abort: AbortController }
  | {
      readonly t: 'open';
      readonly attempt: number;
      readonly stream: TelemetryStream;
      readonly sync: TaskHandle;
    }
  | {
      readonly t: 'backoff';
      readonly attempt: number;
      readonly delayMs: number;
      readonly timer: TaskHandle;
      readonly error: RocketMQError | undefined;
    }
  | { readonly t: 'closed' };

/** Payload of the `state` event. */
export interface TelemetryStateChange {
  /** The endpoint key. */
  readonly endpoints: string;
  readonly from: TelemetryStateName;
  readonly to: TelemetryStateName;
  /** Consecutive failed attempts so far (0 after a healthy stream). */
  readonly attempt: number;
  /** backoff: the wait before the next attempt. */
  readonly delayMs?: number;
  /** backoff: why the stream failed. */
  readonly error?: RocketMQError;
}

/** Events of a session. */
export interface TelemetrySessionEvents {
  state: TelemetryStateChange;
  settings: { readonly endpoints: string; readonly settings: ServerSettings };
}

/** Default reconnect backoff: 1 s → 30 s, ×2, ±20 % jitter. */
export const DEFAULT_RECONNECT_BACKOFF: BackoffPolicy = exponentialBackoff({
  initialMs: 1_000,
  maxMs: 30_000,
  multiplier: 2,
  jitter: 0.2,
});

/** Default settings re-sync period on a live stream (5 min). */
export const DEFAULT_SETTINGS_SYNC_INTERVAL_MS = 5 * 60_000;

/** Options of {@link TelemetrySession}. */
export interface TelemetrySessionOptions {
  endpoints: Endpoints;
  /** Opens the stream (see {@link telemetryOpener}). */
  open: TelemetryOpener;
  /** The client's current settings (read at every Settings frame). */
  settings: () => EffectiveSettings;
  /** Receives every server Settings reply (the client applies it). */
  onServerSettings?: ((settings: ServerSettings, endpoints: Endpoints) => void) | undefined;
  /** Current handlers (read per command, so they can be registered after the session started). */
  handlers?: (() => TelemetryHandlers) | undefined;
  /** Called when the server asks to reconnect, before the stream is re-opened (e.g. evict the channel). */
  onReconnectRequested?: ((endpoints: Endpoints) => void) | undefined;
  scheduler: Scheduler;
  logger?: Logger | undefined;
  /** @defaultValue {@link DEFAULT_RECONNECT_BACKOFF} */
  reconnectBackoff?: BackoffPolicy | undefined;
  /** @defaultValue 5 min */
  settingsSyncIntervalMs?: number | undefined;
  /** Jitter source. @defaultValue `Math.random` */
  random?: RandomSource | undefined;
}

/** Options of {@link TelemetrySession.waitForSettings}. */
export interface WaitForSettingsOptions {
  signal?: AbortSignal | undefined;
  /** @defaultValue no timeout (use a signal or always pass one) */
  timeoutMs?: number | undefined;
}

interface Waiter {
  readonly deferred: Deferred<void>;
  cleanup(): void;
}

/** One endpoint's Telemetry session. See the module documentation. */
export class TelemetrySession {
  readonly endpoints: Endpoints;
  /** The endpoint key ({@link endpointKey}). */
  readonly key: string;
  readonly #options: TelemetrySessionOptions;
  readonly #scheduler: Scheduler;
  readonly #logger: Logger;
  readonly #backoff: BackoffPolicy;
  readonly #random: RandomSource;
  readonly #events: TypedEmitter<TelemetrySessionEvents>;
  readonly #waiters = new Set<Waiter>();
  #state: SessionState = { t: 'idle' };
  /** Consecutive failed attempts; reset by a Settings reply. */
  #failures = 0;
  /** Settings reply received on the current stream. */
  #hasSettings = false;
  /** The last stream failure (cause of a settings timeout). */
  #lastError: RocketMQError | undefined;
  /** A non-retriable failure since the last Settings reply: waiters fail with it at once. */
  #fatal: RocketMQError | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: TelemetrySessionOptions) {
    this.endpoints = options.endpoints;
    this.key = endpointKey(options.endpoints);
    this.#options = options;
    this.#scheduler = options.scheduler;
    this.#logger = options.logger ?? noopLogger;
    this.#backoff = options.reconnectBackoff ?? DEFAULT_RECONNECT_BACKOFF;
    this.#random = options.random ?? Math.random;
    this.#events = new TypedEmitter((err, type) =>
      this.#logger.warn('telemetry listener failed', { endpoints: this.key, event: String(type), err }),
    );
  }

  /** The current state's name. */
  get state(): TelemetryStateName {
    return this.#state.t;
  }

  /** Consecutive failed attempts (0 after a healthy stream). */
  get attempt(): number {
    return this.#failures;
  }

  /** True when a Settings reply arrived on the current stream. */
  get hasSettings(): boolean {
    return this.#hasSettings;
  }

  /** The last stream failure, if any. */
  get lastError(): RocketMQError | undefined {
    return this.#lastError;
  }

  /** Subscribes to `state` or `settings` events; returns the unsubscribe function. */
  on<K extends 'state' | 'settings'>(
    type: K,
    listener: (event: TelemetrySessionEvents[K]) => void,
  ): () => void {
    return this.#events.on(type, listener);
  }

  /** Opens the stream (idle → connecting). Later calls are no-ops. */
  start(): void {
    if (this.#state.t === 'idle') this.#connect();
  }

  /**
   * Writes the client's Settings now when the stream is open (e.g. after topics changed). Returns
   * whether a frame was written.
   */
  syncSettings(): boolean {
    const s = this.#state;
    return s.t === 'open' ? this.#writeSettings(s.stream) : false;
  }

  /**
   * Drops the current stream and connects again right away (server `ReconnectEndpointsCommand`, or a
   * transport recovery). In backoff, the wait is cut short. Not counted as a failure.
   */
  reconnect(reason = 'reconnect requested'): void {
    const s = this.#state;
    if (s.t === 'open') {
      this.#enterBackoff(new RocketMQError(`Telemetry stream dropped: ${reason}`, 'UNAVAILABLE'), 0);
    } else if (s.t === 'backoff') {
      this.#connect();
    }
  }

  /**
   * Resolves once the server's Settings reply arrived on the current stream (at once if it already has).
   *
   * @throws RocketMQError `SETTINGS_TIMEOUT` after `timeoutMs` (with the last stream error as `cause`);
   * the broker's code (e.g. `UNAUTHORIZED`) as soon as a status-only failure frame or another
   * non-retriable failure arrives; `ABORTED` when `signal` aborts; `CLOSED` when the session closes.
   */
  waitForSettings(options: WaitForSettingsOptions = {}): Promise<void> {
    if (this.#state.t === 'closed') {
      return Promise.reject(new RocketMQError('The telemetry session is closed', 'CLOSED'));
    }
    if (this.#hasSettings) return Promise.resolve();
    if (this.#fatal !== undefined) return Promise.reject(this.#fatal);
    const { signal, timeoutMs } = options;
    if (signal?.aborted) return Promise.reject(RocketMQError.from(signal.reason));
    const deferred = createDeferred<void>();
    let timer: TaskHandle | undefined;
    const onAbort = (): void => deferred.reject(RocketMQError.from(signal?.reason));
    const waiter: Waiter = {
      deferred,
      cleanup: () => {
        timer?.cancel();
        signal?.removeEventListener('abort', onAbort);
        this.#waiters.delete(waiter);
      },
    };
    this.#waiters.add(waiter);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
      timer = this.#scheduler.after(
        timeoutMs,
        () => {
          const last = this.#lastError;
          deferred.reject(
            new RocketMQError(
              `No settings from ${this.key} within ${timeoutMs} ms` +
                (last === undefined ? '' : ` (last error: ${last.code}: ${last.message})`),
              'SETTINGS_TIMEOUT',
              last === undefined ? {} : { cause: last },
            ),
          );
        },
        { name: 'telemetry-settings-wait' },
      );
    }
    return deferred.promise.finally(() => waiter.cleanup());
  }

  /**
   * Closes the session: half-closes a live stream and waits up to `timeoutMs` (default 1 s) for the
   * server to complete it, then cancels it (a stream that never answered with Settings is cancelled at
   * once); clears every timer; fails pending waiters with `CLOSED`. `signal` ends the wait early (the
   * stream is cancelled then), also when it aborts after the close began.
   * Idempotent (concurrent calls share one promise).
   */
  close(options: { timeoutMs?: number | undefined; signal?: AbortSignal | undefined } = {}): Promise<void> {
    this.#closing ??= this.#close(options.timeoutMs ?? 1_000, options.signal);
    return this.#closing;
  }

  async #close(graceMs: number, signal: AbortSignal | undefined): Promise<void> {
    const prev = this.#state;
    this.#transition({ t: 'closed' });
    this.#rejectWaiters(new RocketMQError('The telemetry session is closed', 'CLOSED'));
    if (prev.t === 'open' && !prev.stream.finished) {
      // A stream that never answered our settings is not worth a graceful wait.
      if (!this.#hasSettings) {
        prev.stream.cancel();
        return;
      }
      const stopSleep = new AbortController();
      await Promise.race([
        prev.stream.done,
        this.#scheduler.sleep(graceMs, linkSignals(stopSleep.signal, signal)).catch(() => {}),
      ]);
      stopSleep.abort();
      prev.stream.cancel();
    }
  }

  // ── transitions ────────────────────────────────────────────────────────────

  /** The one transition function: allow-list, exit cleanup of the old state, debug log, event. */
  #transition(next: SessionState): boolean {
    const prev = this.#state;
    if (!canTransition(prev.t, next.t)) {
      this.#logger.debug('telemetry transition refused', { endpoints: this.key, from: prev.t, to: next.t });
      return false;
    }
    this.#state = next;
    this.#exit(prev, next);
    const change: TelemetryStateChange = {
      endpoints: this.key,
      from: prev.t,
      to: next.t,
      attempt: this.#failures,
      ...(next.t === 'backoff' ? { delayMs: next.delayMs } : {}),
      ...(next.t === 'backoff' && next.error !== undefined ? { error: next.error } : {}),
    };
    this.#logger.debug('telemetry state changed', {
      endpoints: this.key,
      from: prev.t,
      to: next.t,
      attempt: change.attempt,
      ...(change.delayMs === undefined ? {} : { delayMs: change.delayMs }),
      ...(change.error === undefined ? {} : { err: change.error.toJSON() }),
    });
    this.#events.emit('state', change);
    return true;
  }

  /** Exit cleanup of `prev` (runs after the new state is in place, so stale callbacks see it). */
  #exit(prev: SessionState, next: SessionState): void {
    switch (prev.t) {
      case 'idle':
      case 'closed':
        return;
      case 'connecting':
        // The pending open is abandoned unless it is the one that just succeeded.
        if (next.t !== 'open')
          prev.abort.abort(new RocketMQError('Telemetry connect abandoned', 'CANCELLED'));
        return;
      case 'open':
        prev.sync.cancel();
        if (next.t === 'closed') prev.stream.end();
        else prev.stream.cancel();
        return;
      case 'backoff':
        prev.timer.cancel();
        return;
      default: {
        const exhaustive: never = prev;
        throw new Error(`unhandled state ${String(exhaustive)}`);
      }
    }
  }

  #connect(): void {
    const abort = new AbortController();
    if (!this.#transition({ t: 'connecting', attempt: this.#failures, abort })) return;
    void this.#open(abort);
  }

  async #open(abort: AbortController): Promise<void> {
    const isCurrent = (): boolean => this.#state.t === 'connecting' && this.#state.abort === abort;
    let stream: TelemetryStream;
    try {
      stream = await this.#options.open({ signal: abort.signal });
    } catch (err) {
      if (isCurrent()) this.#failed(RocketMQError.from(err));
      return;
    }
    if (!isCurrent()) {
      stream.cancel();
      return;
    }
    const sync = this.#scheduler.every(
      this.#options.settingsSyncIntervalMs ?? DEFAULT_SETTINGS_SYNC_INTERVAL_MS,
      () => {
        this.syncSettings();
      },
      { name: 'telemetry-settings-sync' },
    );
    this.#hasSettings = false;
    if (!this.#transition({ t: 'open', attempt: this.#failures, stream, sync })) {
      sync.cancel();
      stream.cancel();
      return;
    }
    this.#writeSettings(stream);
    void this.#read(stream);
  }

  /** A connect or stream failure: remember it, fail waiters when it is final, back off. */
  #failed(error: RocketMQError): void {
    this.#failures += 1;
    this.#lastError = error;
    if (!error.retriable) {
      this.#fatal = error;
      this.#rejectWaiters(error);
    }
    this.#enterBackoff(error, backoffDelay(this.#backoff, this.#failures, this.#random));
  }

  #enterBackoff(error: RocketMQError, delayMs: number): void {
    // The settings reply belonged to the stream that just ended.
    this.#hasSettings = false;
    const timer = this.#scheduler.after(delayMs, () => this.#connect(), { name: 'telemetry-reconnect' });
    const ok = this.#transition({ t: 'backoff', attempt: this.#failures, delayMs, timer, error });
    if (!ok) timer.cancel();
  }

  async #read(stream: TelemetryStream): Promise<void> {
    const isCurrent = (): boolean => this.#state.t === 'open' && this.#state.stream === stream;
    let failure: RocketMQError | undefined;
    try {
      for await (const command of stream) {
        if (!isCurrent()) return;
        const statusFailure = this.#dispatch(command, stream);
        if (statusFailure !== undefined) failure = statusFailure;
      }
    } catch (err) {
      failure ??= RocketMQError.from(err);
    }
    if (!isCurrent()) return;
    this.#failed(
      failure ??
        new RocketMQError(`Telemetry stream to ${this.key} was completed by the server`, 'UNAVAILABLE'),
    );
  }

  // ── commands ───────────────────────────────────────────────────────────────

  /** Handles one server frame; returns the error of a status-only failure frame. */
  #dispatch(command: TelemetryCommand, stream: TelemetryStream): RocketMQError | undefined {
    const status = command.status;
    const cmd = command.command;
    switch (cmd.case) {
      case 'settings': {
        const err = status === undefined ? undefined : brokerStatusToError(status);
        if (err !== undefined) return this.#statusFailure(err);
        this.#onSettings(fromProtoSettings(cmd.value));
        return undefined;
      }
      case 'recoverOrphanedTransactionCommand': {
        const handler = this.#handlers().recoverOrphanedTransaction;
        if (handler === undefined) {
          this.#logger.warn('transaction check ignored: no handler registered', {
            endpoints: this.key,
            transactionId: cmd.value.transactionId,
          });
          return undefined;
        }
        this.#runHandler('recoverOrphanedTransaction', () =>
          handler(
            { transactionId: cmd.value.transactionId, message: cmd.value.message },
            { endpoints: this.endpoints },
          ),
        );
        return undefined;
      }
      case 'verifyMessageCommand':
        void this.#verify(cmd.value.nonce, cmd.value.message, stream);
        return undefined;
      case 'printThreadStackTraceCommand':
        stream.write({
          status: { code: Code.OK, message: 'OK' },
          command: {
            case: 'threadStackTrace',
            value: { nonce: cmd.value.nonce, threadStackTrace: describeProcess() },
          },
        });
        return undefined;
      case 'reconnectEndpointsCommand':
        this.#logger.info('server asked to reconnect', { endpoints: this.key });
        try {
          this.#options.onReconnectRequested?.(this.endpoints);
        } catch (err) {
          this.#logger.warn('reconnect hook failed', { endpoints: this.key, err });
        }
        queueMicrotask(() => this.reconnect('server sent ReconnectEndpointsCommand'));
        return undefined;
      case 'notifyUnsubscribeLiteCommand': {
        const handler = this.#handlers().notifyUnsubscribeLite;
        if (handler === undefined) {
          this.#logger.debug('lite unsubscribe ignored: no handler', { endpoints: this.key });
          return undefined;
        }
        this.#runHandler('notifyUnsubscribeLite', () =>
          handler({ liteTopic: cmd.value.liteTopic }, { endpoints: this.endpoints }),
        );
        return undefined;
      }
      case 'threadStackTrace':
      case 'verifyMessageResult':
        // Client → server frames; a server has no reason to send them.
        this.#logger.debug('unexpected telemetry frame ignored', { endpoints: this.key, command: cmd.case });
        return undefined;
      case undefined: {
        const err = status === undefined ? undefined : brokerStatusToError(status);
        return err === undefined ? undefined : this.#statusFailure(err);
      }
      default: {
        const exhaustive: never = cmd;
        return exhaustive;
      }
    }
  }

  #statusFailure(err: RocketMQError): RocketMQError {
    this.#lastError = err;
    this.#logger.warn('telemetry failure frame', { endpoints: this.key, err: err.toJSON() });
    if (!err.retriable) {
      this.#fatal = err;
      this.#rejectWaiters(err);
    }
    return err;
  }

  #onSettings(settings: ServerSettings): void {
    this.#hasSettings = true;
    this.#failures = 0;
    this.#fatal = undefined;
    this.#lastError = undefined;
    try {
      this.#options.onServerSettings?.(settings, this.endpoints);
    } catch (err) {
      this.#logger.warn('applying server settings failed', { endpoints: this.key, err });
    }
    this.#events.emit('settings', { endpoints: this.key, settings });
    for (const w of [...this.#waiters]) w.deferred.resolve();
  }

  async #verify(nonce: string, message: WireMessage | undefined, stream: TelemetryStream): Promise<void> {
    const handler = this.#handlers().verifyMessage;
    let code: Code;
    let text: string;
    if (handler === undefined) {
      code = Code.NOT_IMPLEMENTED;
      text = 'This client does not verify messages';
    } else {
      try {
        const outcome = await handler({ nonce, message }, { endpoints: this.endpoints });
        code = Code[outcome.code];
        text = outcome.message ?? outcome.code;
      } catch (err) {
        code = Code.FAILED_TO_CONSUME_MESSAGE;
        text = RocketMQError.from(err).message;
      }
    }
    stream.write({
      status: { code, message: text },
      command: { case: 'verifyMessageResult', value: { nonce } },
    });
  }

  #runHandler(name: string, run: () => unknown): void {
    try {
      const result = run();
      if (result instanceof Promise) {
        result.catch((err: unknown) =>
          this.#logger.warn('telemetry handler failed', { endpoints: this.key, handler: name, err }),
        );
      }
    } catch (err) {
      this.#logger.warn('telemetry handler failed', { endpoints: this.key, handler: name, err });
    }
  }

  #handlers(): TelemetryHandlers {
    try {
      return this.#options.handlers?.() ?? {};
    } catch {
      return {};
    }
  }

  #writeSettings(stream: TelemetryStream): boolean {
    let frame: TelemetryCommand;
    try {
      frame = create(TelemetryCommandSchema, {
        command: { case: 'settings', value: toProtoSettings(this.#options.settings()) },
      });
    } catch (err) {
      this.#logger.error('building the settings frame failed', { endpoints: this.key, err });
      return false;
    }
    return stream.write(frame);
  }

  #rejectWaiters(err: RocketMQError): void {
    for (const w of [...this.#waiters]) w.deferred.reject(err);
  }
}

/** A Node-flavoured answer to "print thread stack trace": process facts and active handles. */
export function describeProcess(): string {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  const resources = [...counts.entries()].map(([k, n]) => `${k}×${n}`).join(', ') || 'none';
  const mem = process.memoryUsage();
  const mib = (n: number): string => `${(n / 1_048_576).toFixed(1)} MiB`;
  return [
    `Node.js ${process.version} (${process.platform}-${process.arch}), pid ${process.pid}, uptime ${Math.round(process.uptime())} s`,
    'Single-threaded event loop: no per-thread stacks.',
    `Active resources: ${resources}`,
    `Memory: rss ${mib(mem.rss)}, heap ${mib(mem.heapUsed)} / ${mib(mem.heapTotal)}`,
  ].join('\n');
}
