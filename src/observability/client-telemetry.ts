/**
 * OpenTelemetry spans and metrics of one client (producer, push consumer or simple consumer),
 * following the messaging semantic conventions. The clients call the small operations here; none of
 * them imports `@opentelemetry/api`.
 *
 * Spans (names `"{operation} {topic}"`):
 *
 * - `send` (PRODUCER), one per `send` / `sendBatch` / transactional send, parent the active context,
 *   **started before the trace properties are computed**, so the message's `traceparent` /
 *   `x-trace-id` / `x-span-id` name this span. Failed attempts are events of that one span.
 * - `receive` (CLIENT), one per ReceiveMessage that returned messages, created after the call with the
 *   call's start time. Push consumers start it at the root (their receive loops belong to no caller);
 *   simple consumers under the caller's active context.
 * - `process` (CONSUMER), around every push consumer listener call: parent the producer's context
 *   restored from the message (`trace-context.ts`), a link to the receive span; the listener runs in
 *   its context.
 * - `ack` / `nack` / `dead_letter` / `release` / `change_invisible_duration` (CLIENT, operation type
 *   `settle`): child of the message's last process span when there is one, else of the root (push) or
 *   the active context (simple), linked to the receive span.
 *
 * Metrics: see `messaging-metrics.ts`. Durations are measured on the client's monotonic clock,
 * latencies on its wall clock (so fake time in tests drives them too).
 *
 * With neither a TracerProvider nor a MeterProvider registered, every operation is a shared no-op
 * object: nothing is allocated per message.
 *
 * @packageDocumentation
 */

import {
  type Attributes,
  type Context,
  context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type SpanContext,
  trace,
} from '@opentelemetry/api';
import type { Clock } from '../internal/clock.js';
import {
  ATTR,
  addMessageAttributes,
  addServerAttributes,
  baseAttributes,
  type ClientIdentity,
  errorType,
  MESSAGING_SYSTEM,
  type MessageFacts,
  SETTLE_OUTCOME,
  type ServerAddress,
  type SettleOperation,
} from './messaging-attributes.js';
import {
  type CacheSource,
  type Instruments,
  instruments,
  metricAttributes,
  observeCache,
} from './messaging-metrics.js';
import { endSpanWithError, startMessagingSpan, tracingEnabled } from './messaging-spans.js';
import { remoteContext, type TraceCarrier } from './trace-context.js';
import { type TraceSeed, traceProperties } from './tracing.js';

/** A received message, as the consumer operations read it. */
export interface ConsumedMessage extends MessageFacts, TraceCarrier {
  readonly bornTimestamp?: Date | undefined;
  readonly storeTimestamp?: Date | undefined;
  readonly deliveryTimestamp?: Date | undefined;
}

/** One publish (see the module documentation). */
export interface SendOperation {
  /** The trace properties of the message(s): from this publish span (explicit seeds win). */
  traceProperties(seed: TraceSeed): Record<string, string>;
  /** A failed attempt (an event of the span). */
  attemptFailed(attempt: number, err: unknown, server: ServerAddress | undefined): void;
  succeed(messageId: string | undefined, attempts: number, server: ServerAddress | undefined): void;
  fail(err: unknown, server?: ServerAddress | undefined): void;
}

/** One ReceiveMessage call. */
export interface ReceiveOperation {
  succeed(messages: readonly ConsumedMessage[]): void;
  fail(err: unknown): void;
}

/** One listener call. */
export interface ProcessOperation {
  /** Runs `fn` (the listener) in the process span's context. */
  run<T>(fn: () => T): T;
  succeed(): void;
  /** `err`: what the listener threw, or a plain `error.type` when it returned a failure. */
  fail(err: unknown): void;
}

/** One settle call. */
export interface SettleCall {
  succeed(): void;
  fail(err: unknown): void;
}

/** Where a span without a message-related parent goes: the root, or the caller's active context. */
export type ParentMode = 'root' | 'active';

const noop = (): void => {};

const NOOP_SEND: SendOperation = Object.freeze({
  traceProperties: (seed: TraceSeed) => traceProperties(seed),
  attemptFailed: noop,
  succeed: noop,
  fail: noop,
});
const NOOP_RECEIVE: ReceiveOperation = Object.freeze({ succeed: noop, fail: noop });
const NOOP_PROCESS: ProcessOperation = Object.freeze({
  run: <T>(fn: () => T): T => fn(),
  succeed: noop,
  fail: noop,
});
const NOOP_SETTLE: SettleCall = Object.freeze({ succeed: noop, fail: noop });

const seconds = (ms: number): number => Math.max(0, ms) / 1000;

/** See the module documentation. */
export class ClientTelemetry {
  readonly identity: ClientIdentity;
  readonly clock: Clock;
  /** Received message → its receive span (for links). Filled only while tracing. */
  readonly #receiveSpans = new WeakMap<object, SpanContext>();
  /** Received message → the context of its last process span (parent of its settle span). */
  readonly #processContexts = new WeakMap<object, Context>();

  constructor(identity: ClientIdentity, clock: Clock) {
    this.identity = identity;
    this.clock = clock;
  }

  /** Starts a publish of `count` messages like `first` (`batch`: a `sendBatch`). */
  startSend(first: MessageFacts, count: number, batch: boolean): SendOperation {
    const inst = instruments();
    const tracing = tracingEnabled();
    if (inst === undefined && !tracing) return NOOP_SEND;
    return new Send(this, inst, tracing, first, count, batch);
  }

  /** Starts a receive on `topic` from `server`. */
  startReceive(topic: string, server: ServerAddress | undefined, parent: ParentMode): ReceiveOperation {
    const inst = instruments();
    const tracing = tracingEnabled();
    if (inst === undefined && !tracing) return NOOP_RECEIVE;
    return new Receive(this, inst, tracing, topic, server, parent);
  }

  /**
   * Starts a listener call of `message` (delivery `attempt`, received at `receivedAt` wall-clock ms):
   * records its delivery latency and await time, starts its process span.
   */
  startProcess(message: ConsumedMessage, attempt: number, receivedAt: number): ProcessOperation {
    const inst = instruments();
    const tracing = tracingEnabled();
    if (inst === undefined && !tracing) return NOOP_PROCESS;
    return new Process(this, inst, tracing, message, attempt, receivedAt);
  }

  /** Starts a settle of `message`. */
  startSettle(
    operation: SettleOperation,
    message: ConsumedMessage,
    server: ServerAddress | undefined,
    parent: ParentMode,
  ): SettleCall {
    const inst = instruments();
    const tracing = tracingEnabled();
    if (inst === undefined && !tracing) return NOOP_SETTLE;
    return new Settle(this, inst, tracing, operation, message, server, parent);
  }

  /** A view replacing `previous` (a new receipt handle) keeps its receive and process spans. */
  inherit(previous: object, next: object): void {
    const r = this.#receiveSpans.get(previous);
    if (r !== undefined) this.#receiveSpans.set(next, r);
    const p = this.#processContexts.get(previous);
    if (p !== undefined) this.#processContexts.set(next, p);
  }

  /** Reports a push consumer's cache on the gauges until the returned function is called. */
  observeCache(source: CacheSource): () => void {
    const a: Attributes = { [ATTR.system]: MESSAGING_SYSTEM, [ATTR.clientId]: this.identity.clientId };
    if (this.identity.consumerGroup !== undefined) a[ATTR.consumerGroup] = this.identity.consumerGroup;
    return observeCache(source, a);
  }

  /** @internal */
  _receiveSpanOf(message: object): SpanContext | undefined {
    return this.#receiveSpans.get(message);
  }

  /** @internal */
  _setReceiveSpan(message: object, span: SpanContext): void {
    this.#receiveSpans.set(message, span);
  }

  /** @internal */
  _processContextOf(message: object): Context | undefined {
    return this.#processContexts.get(message);
  }

  /** @internal */
  _setProcessContext(message: object, ctx: Context): void {
    this.#processContexts.set(message, ctx);
  }
}

class Send implements SendOperation {
  readonly #t: ClientTelemetry;
  readonly #inst: Instruments | undefined;
  readonly #topic: string;
  readonly #count: number;
  readonly #started: number;
  readonly #span: Span | undefined;
  readonly #context: Context | undefined;
  #lastServer: ServerAddress | undefined;
  #done = false;

  constructor(
    t: ClientTelemetry,
    inst: Instruments | undefined,
    tracing: boolean,
    first: MessageFacts,
    count: number,
    batch: boolean,
  ) {
    this.#t = t;
    this.#inst = inst;
    this.#topic = first.topic;
    this.#count = count;
    this.#started = t.clock.monotonic();
    if (tracing) {
      const a = baseAttributes(t.identity, 'send', 'send', first.topic);
      if (batch) a[ATTR.batchCount] = count;
      if (count === 1) addMessageAttributes(a, first);
      else {
        const type = first.type ?? first.messageType;
        if (type !== undefined) a[ATTR.messageType] = type.toLowerCase();
      }
      const parent = context.active();
      const span = startMessagingSpan({
        name: `send ${first.topic}`,
        kind: SpanKind.PRODUCER,
        attributes: a,
        parent,
      });
      this.#span = span;
      this.#context = trace.setSpan(parent, span);
    }
  }

  traceProperties(seed: TraceSeed): Record<string, string> {
    return traceProperties(seed, this.#context ?? context.active());
  }

  attemptFailed(attempt: number, err: unknown, server: ServerAddress | undefined): void {
    this.#lastServer = server;
    const span = this.#span;
    if (span === undefined || !span.isRecording()) return;
    span.addEvent(
      'send attempt failed',
      addServerAttributes({ [ATTR.sendAttempts]: attempt, [ATTR.errorType]: errorType(err) }, server),
    );
  }

  succeed(messageId: string | undefined, attempts: number, server: ServerAddress | undefined): void {
    if (this.#done) return;
    this.#done = true;
    const span = this.#span;
    if (span !== undefined) {
      if (span.isRecording()) {
        const a: Attributes = { [ATTR.sendAttempts]: attempts };
        if (messageId !== undefined && this.#count === 1) a[ATTR.messageId] = messageId;
        span.setAttributes(addServerAttributes(a, server));
      }
      span.end();
    }
    this.#record(server, undefined);
  }

  fail(err: unknown, server?: ServerAddress | undefined): void {
    if (this.#done) return;
    this.#done = true;
    const at = server ?? this.#lastServer;
    if (this.#span !== undefined) {
      if (at !== undefined && this.#span.isRecording()) this.#span.setAttributes(addServerAttributes({}, at));
      endSpanWithError(this.#span, err);
    }
    this.#record(at, errorType(err));
  }

  #record(server: ServerAddress | undefined, error: string | undefined): void {
    const inst = this.#inst;
    if (inst === undefined) return;
    const a = metricAttributes('send', 'send', this.#topic, undefined, server, error);
    inst.operationDuration.record(seconds(this.#t.clock.monotonic() - this.#started), a);
    inst.sentMessages.add(this.#count, a);
  }
}

class Receive implements ReceiveOperation {
  readonly #t: ClientTelemetry;
  readonly #inst: Instruments | undefined;
  readonly #tracing: boolean;
  readonly #topic: string;
  readonly #server: ServerAddress | undefined;
  readonly #parent: Context | undefined;
  readonly #startedWall: number;
  readonly #started: number;

  constructor(
    t: ClientTelemetry,
    inst: Instruments | undefined,
    tracing: boolean,
    topic: string,
    server: ServerAddress | undefined,
    parent: ParentMode,
  ) {
    this.#t = t;
    this.#inst = inst;
    this.#tracing = tracing;
    this.#topic = topic;
    this.#server = server;
    this.#parent = tracing ? (parent === 'root' ? ROOT_CONTEXT : context.active()) : undefined;
    this.#startedWall = t.clock.now();
    this.#started = t.clock.monotonic();
  }

  succeed(messages: readonly ConsumedMessage[]): void {
    const n = messages.length;
    const inst = this.#inst;
    const t = this.#t;
    if (inst !== undefined) {
      const a = metricAttributes(
        'receive',
        'receive',
        this.#topic,
        t.identity.consumerGroup,
        this.#server,
        undefined,
      );
      inst.operationDuration.record(seconds(t.clock.monotonic() - this.#started), a);
      if (n > 0) inst.consumedMessages.add(n, a);
    }
    if (!this.#tracing || n === 0) return;
    const a = baseAttributes(t.identity, 'receive', 'receive', this.#topic);
    a[ATTR.batchCount] = n;
    if (n === 1) addMessageAttributes(a, messages[0]!);
    addServerAttributes(a, this.#server);
    const span = startMessagingSpan({
      name: `receive ${this.#topic}`,
      kind: SpanKind.CLIENT,
      attributes: a,
      parent: this.#parent ?? ROOT_CONTEXT,
      startTime: this.#startedWall,
    });
    span.end(Math.max(this.#startedWall, t.clock.now()));
    const sc = span.spanContext();
    for (const m of messages) t._setReceiveSpan(m, sc);
  }

  fail(err: unknown): void {
    const inst = this.#inst;
    if (inst === undefined) return;
    const t = this.#t;
    const a = metricAttributes(
      'receive',
      'receive',
      this.#topic,
      t.identity.consumerGroup,
      this.#server,
      errorType(err),
    );
    inst.operationDuration.record(seconds(t.clock.monotonic() - this.#started), a);
  }
}

/** When a message became deliverable: its delivery time (DELAY), else its store, else its born time. */
function deliverableAt(m: ConsumedMessage): number | undefined {
  for (const d of [m.deliveryTimestamp, m.storeTimestamp, m.bornTimestamp]) {
    const ms = d?.getTime();
    if (ms !== undefined && ms > 0) return ms;
  }
  return undefined;
}

class Process implements ProcessOperation {
  readonly #t: ClientTelemetry;
  readonly #inst: Instruments | undefined;
  readonly #topic: string;
  readonly #started: number;
  readonly #span: Span | undefined;
  readonly #context: Context | undefined;
  #done = false;

  constructor(
    t: ClientTelemetry,
    inst: Instruments | undefined,
    tracing: boolean,
    message: ConsumedMessage,
    attempt: number,
    receivedAt: number,
  ) {
    this.#t = t;
    this.#inst = inst;
    this.#topic = message.topic;
    this.#started = t.clock.monotonic();
    if (inst !== undefined) {
      const now = t.clock.now();
      const a = metricAttributes(
        'process',
        'process',
        message.topic,
        t.identity.consumerGroup,
        undefined,
        undefined,
      );
      const at = deliverableAt(message);
      if (at !== undefined) inst.deliveryLatency.record(seconds(now - at), a);
      inst.awaitTime.record(seconds(now - receivedAt), a);
    }
    if (tracing) {
      const parent = remoteContext(message);
      const a = addMessageAttributes(
        baseAttributes(t.identity, 'process', 'process', message.topic),
        message,
      );
      a[ATTR.deliveryAttempt] = attempt;
      const received = t._receiveSpanOf(message);
      const links: Link[] | undefined = received === undefined ? undefined : [{ context: received }];
      const span = startMessagingSpan({
        name: `process ${message.topic}`,
        kind: SpanKind.CONSUMER,
        attributes: a,
        parent,
        links,
      });
      const ctx = trace.setSpan(parent, span);
      this.#span = span;
      this.#context = ctx;
      t._setProcessContext(message, ctx);
    }
  }

  run<T>(fn: () => T): T {
    return this.#context === undefined ? fn() : context.with(this.#context, fn);
  }

  succeed(): void {
    if (this.#done) return;
    this.#done = true;
    this.#span?.end();
    this.#record(undefined);
  }

  fail(err: unknown): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#span !== undefined) endSpanWithError(this.#span, err);
    this.#record(typeof err === 'string' ? err : errorType(err));
  }

  #record(error: string | undefined): void {
    const inst = this.#inst;
    if (inst === undefined) return;
    const t = this.#t;
    const a = metricAttributes('process', 'process', this.#topic, t.identity.consumerGroup, undefined, error);
    inst.processDuration.record(seconds(t.clock.monotonic() - this.#started), a);
  }
}

class Settle implements SettleCall {
  readonly #t: ClientTelemetry;
  readonly #inst: Instruments | undefined;
  readonly #operation: SettleOperation;
  readonly #topic: string;
  readonly #server: ServerAddress | undefined;
  readonly #started: number;
  readonly #span: Span | undefined;
  #done = false;

  constructor(
    t: ClientTelemetry,
    inst: Instruments | undefined,
    tracing: boolean,
    operation: SettleOperation,
    message: ConsumedMessage,
    server: ServerAddress | undefined,
    parent: ParentMode,
  ) {
    this.#t = t;
    this.#inst = inst;
    this.#operation = operation;
    this.#topic = message.topic;
    this.#server = server;
    this.#started = t.clock.monotonic();
    if (tracing) {
      const processed = t._processContextOf(message);
      const received = t._receiveSpanOf(message);
      const a = baseAttributes(t.identity, 'settle', operation, message.topic);
      if (message.messageId !== undefined) a[ATTR.messageId] = message.messageId;
      addServerAttributes(a, server);
      this.#span = startMessagingSpan({
        name: `${operation} ${message.topic}`,
        kind: SpanKind.CLIENT,
        attributes: a,
        parent: processed ?? (parent === 'root' ? ROOT_CONTEXT : context.active()),
        links: received === undefined ? undefined : [{ context: received }],
      });
    }
  }

  succeed(): void {
    if (this.#done) return;
    this.#done = true;
    this.#span?.end();
    this.#record(undefined);
  }

  fail(err: unknown): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#span !== undefined) endSpanWithError(this.#span, err);
    this.#record(errorType(err));
  }

  #record(error: string | undefined): void {
    const inst = this.#inst;
    if (inst === undefined) return;
    const t = this.#t;
    const group = t.identity.consumerGroup;
    const a = metricAttributes('settle', this.#operation, this.#topic, group, this.#server, error);
    inst.operationDuration.record(seconds(t.clock.monotonic() - this.#started), a);
    const outcome = error === undefined ? SETTLE_OUTCOME[this.#operation] : 'failed';
    if (outcome === undefined) return;
    const c = metricAttributes('settle', this.#operation, this.#topic, group, undefined, error);
    c[ATTR.settleOutcome] = outcome;
    inst.settledMessages.add(1, c);
  }
}
