/**
 * Pop-style consumption per (consumer group, topic): invisibility windows, receipt handles, redelivery with
 * an incremented attempt, dead-lettering after the group's maximum attempts, and orderly (FIFO) pop where a
 * queue is blocked for the group while an earlier batch of it is in flight.
 *
 * A new group starts at the beginning of every queue (all messages are still "in memory", which is when the
 * real broker initialises a pop offset at 0 too).
 *
 * @packageDocumentation
 */

import type { Clock } from '../internal/clock.js';
import type { Scheduler, TaskHandle } from '../internal/scheduler.js';
import { Code } from '../gen/apache/rocketmq/v2/definition_pb.js';
import type { MessageFilter } from './filter.js';
import type { LiteStart } from './lite-subscriptions.js';
import { decodeReceiptHandle, encodeReceiptHandle, isReceiptHandleExpired } from './receipt-handle.js';
import { BrokerStatusError } from './status.js';
import { type MessageStore, parentOfLiteQueue, type StoredMessage, type TopicState } from './store.js';

/** Proxy auto-renew for `auto_renew=true` receives (push consumers). */
export interface AutoRenewPolicy {
  /** Invisibility used for such receives and for each renewal (proxy `defaultInvisibleTimeMills`, 60 s). */
  readonly invisibleMs: number;
  /** Renew this long before the window ends (10 s). */
  readonly aheadMs: number;
  /** Stop renewing after this long in total (3 h). */
  readonly maxTotalMs: number;
}

/** Dependencies of {@link DeliveryEngine}. */
export interface DeliveryEngineOptions {
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly store: MessageStore;
  readonly brokerName: string;
  /** Called when messages may have become receivable in `topic` (wakes long polls). */
  readonly onAvailable: (topic: string) => void;
  /** Whether a client is still around (for auto-renew). */
  readonly isClientAlive: (clientId: string) => boolean;
  readonly autoRenew: AutoRenewPolicy;
}

/** One receive request as the engine sees it. */
export interface PopRequest {
  readonly group: string;
  readonly topic: TopicState;
  readonly filter: MessageFilter;
  readonly batchSize: number;
  readonly invisibleMs: number;
  /** Orderly pop (the group's `fifo` setting). */
  readonly fifo: boolean;
  /** Messages already delivered this many times go to the DLQ instead. */
  readonly maxAttempts: number;
  /** Set for `auto_renew=true`: the receiving client, whose liveness keeps the renewal going. */
  readonly autoRenewClientId?: string | undefined;
  /** FIFO only: the same attempt id re-serves a still in-flight batch (lost response recovery). */
  readonly attemptId?: string | undefined;
}

/** A message handed out by a pop. */
export interface Delivered {
  readonly message: StoredMessage;
  readonly receiptHandle: string;
  readonly deliveryAttempt: number;
}

interface Subscription {
  readonly group: string;
  readonly topic: string;
  readonly cursors: number[];
  readonly records: Map<string, DeliveryRecord>;
}

interface DeliveryRecord {
  readonly sub: Subscription;
  readonly message: StoredMessage;
  /** Completed deliveries before the current/next one (`delivery_attempt - 1`). */
  reconsumeTimes: number;
  state: 'inflight' | 'retry';
  visibleAt: number;
  handle: string | undefined;
  fifo: boolean;
  attemptId: string | undefined;
  renew: { readonly clientId: string; readonly firstPopAt: number } | undefined;
  timer: TaskHandle | undefined;
  /** A suspend is under way: its end does not count as a delivery attempt. */
  suspended: boolean;
}

const recordKey = (m: StoredMessage): string => `${m.queueId}:${m.queueOffset}`;
const byOffset = (a: DeliveryRecord, b: DeliveryRecord): number =>
  a.message.queueOffset - b.message.queueOffset;

/** Consumption state of all groups. */
export class DeliveryEngine {
  readonly #o: DeliveryEngineOptions;
  readonly #subs = new Map<string, Subscription>();
  readonly #handles = new Map<string, DeliveryRecord>();
  #sequence = 0;
  #rr = 0;
  #acked = 0;
  #deadLettered = 0;

  constructor(options: DeliveryEngineOptions) {
    this.#o = options;
  }

  /** Messages acknowledged since start. */
  get ackedCount(): number {
    return this.#acked;
  }

  /** Messages moved to a dead-letter topic since start. */
  get deadLetteredCount(): number {
    return this.#deadLettered;
  }

  /** Messages currently invisible (handed out, neither acked nor expired). */
  inflightCount(): number {
    const now = this.#o.clock.now();
    let n = 0;
    for (const sub of this.#subs.values()) {
      for (const r of sub.records.values()) if (r.state === 'inflight' && r.visibleAt > now) n++;
    }
    return n;
  }

  /** Drops every group's state of a topic and of its lite topics' queues (the topic was deleted). */
  forgetTopic(topic: string): void {
    for (const [key, sub] of this.#subs) {
      if (sub.topic !== topic && parentOfLiteQueue(sub.topic) !== topic) continue;
      for (const r of [...sub.records.values()]) this.#finish(r);
      this.#subs.delete(key);
    }
  }

  /** Drops every state of a group (the group was deleted). */
  forgetGroup(group: string): void {
    for (const [key, sub] of this.#subs) {
      if (sub.group !== group) continue;
      for (const r of [...sub.records.values()]) this.#finish(r);
      this.#subs.delete(key);
    }
  }

  /** Topics the group has consumed from. */
  topicsOf(group: string): string[] {
    return [...this.#subs.values()].filter((s) => s.group === group).map((s) => s.topic);
  }

  /**
   * The group's consumer offset per queue of `topic`: every message below it is acknowledged (or
   * dead-lettered, or filtered out); in-flight and retried messages hold it back. `undefined` when the
   * group never consumed from the topic.
   */
  consumerOffsets(group: string, topic: TopicState): number[] | undefined {
    const sub = this.#subs.get(`${group}\u0000${topic.name}`);
    if (sub === undefined) return undefined;
    const out: number[] = [];
    for (let q = 0; q < topic.queueCount; q++) out.push(sub.cursors[q] ?? 0);
    for (const r of sub.records.values()) {
      const q = r.message.queueId;
      out[q] = Math.min(out[q] ?? 0, r.message.queueOffset);
    }
    return out;
  }

  /**
   * Moves the group's offsets on `topic` (one per queue): deliveries in flight are forgotten (their
   * receipt handles stop working) and the next receive starts at the new offsets.
   */
  resetOffsets(group: string, topic: TopicState, offsets: readonly number[]): void {
    const sub = this.#subscription(group, topic);
    for (const r of [...sub.records.values()]) this.#finish(r);
    for (let q = 0; q < topic.queueCount; q++) sub.cursors[q] = offsets[q] ?? sub.cursors[q] ?? 0;
    this.#o.onAvailable(topic.name);
  }

  /** Pops up to `batchSize` messages for the group; an empty result means "nothing receivable now". */
  pop(req: PopRequest): Delivered[] {
    const sub = this.#subscription(req.group, req.topic);
    const now = this.#o.clock.now();
    for (const r of [...sub.records.values()]) this.#expire(r, now);
    const out: Delivered[] = [];
    if (req.fifo) this.#popOrderly(sub, req, now, out);
    else this.#popConcurrently(sub, req, now, out);
    return out;
  }

  /**
   * Acknowledges one delivery.
   *
   * @throws BrokerStatusError `INTERNAL_SERVER_ERROR` for an undecodable handle, `INVALID_RECEIPT_HANDLE`
   * for an expired, superseded, already used or unknown one.
   */
  ack(group: string, topic: string, handle: string): void {
    const r = this.#lookup(group, topic, handle);
    this.#finish(r);
    this.#acked++;
    if (r.fifo) this.#o.onAvailable(topic);
  }

  /**
   * Changes the invisibility of a delivery; returns the new receipt handle (the old one stops working).
   * Also ends proxy auto-renewal of that message.
   *
   * @throws BrokerStatusError as {@link DeliveryEngine.ack}.
   */
  changeInvisibleDuration(
    group: string,
    topic: string,
    handle: string,
    invisibleMs: number,
    suspend = false,
  ): string {
    const r = this.#lookup(group, topic, handle);
    const now = this.#o.clock.now();
    r.renew = undefined;
    r.suspended = suspend;
    r.visibleAt = now + invisibleMs;
    const next = this.#issueHandle(r, now, invisibleMs);
    if (invisibleMs <= 0 && this.#expire(r, now)) this.#o.onAvailable(topic);
    else this.#arm(r, now);
    return next;
  }

  /**
   * Sends a delivered message to the group's dead-letter topic and acknowledges it.
   *
   * @throws BrokerStatusError as {@link DeliveryEngine.ack}.
   */
  forwardToDeadLetterQueue(group: string, topic: string, handle: string): void {
    const r = this.#lookup(group, topic, handle);
    this.#toDeadLetter(r);
    if (r.fifo) this.#o.onAvailable(topic);
  }

  /** Makes deliveries visible again after `delayMs` (the proxy's nack when writing them to the stream failed). */
  nack(handles: readonly string[], delayMs: number): void {
    const now = this.#o.clock.now();
    for (const h of handles) {
      const r = this.#handles.get(h);
      if (r === undefined || r.state !== 'inflight') continue;
      r.renew = undefined;
      r.visibleAt = now + delayMs;
      this.#arm(r, now);
    }
  }

  /**
   * Moves the group's position in the single-queue `topic` (a lite topic's queue) for a new lite
   * subscription: `min` the beginning, `max` the end, `last` where the group is (the beginning when it
   * never consumed there), an offset, the last `n` messages, or the first message stored at or after a
   * time. Messages in flight stay as they are.
   */
  seek(group: string, topic: TopicState, start: LiteStart): void {
    const sub = this.#subscription(group, topic);
    const queue = topic.queues[0] ?? [];
    const end = queue.length;
    let to: number;
    switch (start.kind) {
      case 'last':
        return;
      case 'min':
        to = 0;
        break;
      case 'max':
        to = end;
        break;
      case 'offset':
        to = start.value;
        break;
      case 'tail':
        to = end - start.value;
        break;
      case 'timestamp': {
        const i = queue.findIndex((m) => m.storeTimestampMs >= start.value);
        to = i < 0 ? end : i;
        break;
      }
    }
    sub.cursors[0] = Math.min(Math.max(to, 0), end);
  }

  #subscription(group: string, topic: TopicState): Subscription {
    const key = `${group}\u0000${topic.name}`;
    let sub = this.#subs.get(key);
    if (sub === undefined) {
      sub = { group, topic: topic.name, cursors: [], records: new Map() };
      this.#subs.set(key, sub);
    }
    while (sub.cursors.length < topic.queueCount) sub.cursors.push(0);
    return sub;
  }

  #popConcurrently(sub: Subscription, req: PopRequest, now: number, out: Delivered[]): void {
    const retries = [...sub.records.values()]
      .filter((r) => r.state === 'retry')
      .sort((a, b) => a.visibleAt - b.visibleAt || a.message.queueId - b.message.queueId || byOffset(a, b));
    for (const r of retries) {
      if (out.length >= req.batchSize) return;
      this.#consider(r, req, now, out);
    }
    const n = req.topic.queueCount;
    const start = this.#rr++;
    for (let i = 0; i < n && out.length < req.batchSize; i++) {
      const q = (start + i) % n;
      this.#takeNew(sub, req, q, now, out);
    }
  }

  #popOrderly(sub: Subscription, req: PopRequest, now: number, out: Delivered[]): void {
    const n = req.topic.queueCount;
    const start = this.#rr++;
    for (let i = 0; i < n && out.length < req.batchSize; i++) {
      const q = (start + i) % n;
      const records = [...sub.records.values()].filter((r) => r.message.queueId === q).sort(byOffset);
      const inflight = records.filter((r) => r.state === 'inflight');
      if (inflight.length > 0) {
        const sameAttempt =
          req.attemptId !== undefined &&
          req.attemptId !== '' &&
          inflight.every((r) => r.attemptId === req.attemptId);
        if (sameAttempt) {
          for (const r of inflight) {
            if (out.length >= req.batchSize) break;
            this.#deliver(r, req, now, out);
          }
        }
        continue; // the queue is blocked for this group
      }
      for (const r of records) {
        if (out.length >= req.batchSize) break;
        this.#consider(r, req, now, out);
      }
      this.#takeNew(sub, req, q, now, out);
    }
  }

  #takeNew(sub: Subscription, req: PopRequest, q: number, now: number, out: Delivered[]): void {
    const queue = req.topic.queues[q] ?? [];
    while (out.length < req.batchSize && sub.cursors[q]! < queue.length) {
      const message = queue[sub.cursors[q]!]!;
      sub.cursors[q]!++;
      const r: DeliveryRecord = {
        sub,
        message,
        reconsumeTimes: 0,
        state: 'retry',
        visibleAt: now,
        handle: undefined,
        fifo: req.fifo,
        attemptId: undefined,
        renew: undefined,
        timer: undefined,
        suspended: false,
      };
      this.#consider(r, req, now, out);
    }
  }

  /** Filter (non-matching messages are consumed for the group), DLQ check, then delivery. */
  #consider(r: DeliveryRecord, req: PopRequest, now: number, out: Delivered[]): void {
    if (!req.filter.matches(r.message)) {
      this.#finish(r);
      return;
    }
    if (r.reconsumeTimes >= req.maxAttempts) {
      this.#toDeadLetter(r);
      return;
    }
    this.#deliver(r, req, now, out);
  }

  #deliver(r: DeliveryRecord, req: PopRequest, now: number, out: Delivered[]): void {
    const renewing = req.autoRenewClientId !== undefined;
    const invisibleMs = renewing ? this.#o.autoRenew.invisibleMs : req.invisibleMs;
    r.state = 'inflight';
    r.visibleAt = now + invisibleMs;
    r.fifo = req.fifo;
    r.attemptId = req.attemptId;
    r.renew = renewing ? { clientId: req.autoRenewClientId!, firstPopAt: now } : undefined;
    r.sub.records.set(recordKey(r.message), r);
    const receiptHandle = this.#issueHandle(r, now, invisibleMs);
    this.#arm(r, now);
    out.push({ message: r.message, receiptHandle, deliveryAttempt: r.reconsumeTimes + 1 });
  }

  #issueHandle(r: DeliveryRecord, now: number, invisibleMs: number): string {
    if (r.handle !== undefined) this.#handles.delete(r.handle);
    const handle = encodeReceiptHandle({
      retrieveTime: now,
      invisibleTime: invisibleMs,
      brokerName: this.#o.brokerName,
      queueId: r.message.queueId,
      offset: r.message.queueOffset,
      sequence: ++this.#sequence,
    });
    r.handle = handle;
    this.#handles.set(handle, r);
    return handle;
  }

  /** Arms the record's timer: renewal (auto-renew) or expiry. */
  #arm(r: DeliveryRecord, now: number): void {
    r.timer?.cancel();
    if (r.renew !== undefined) {
      const ahead = Math.min(this.#o.autoRenew.aheadMs, this.#o.autoRenew.invisibleMs / 2);
      const at = Math.max(now, r.visibleAt - ahead);
      r.timer = this.#o.scheduler.after(at - now, () => this.#renew(r), { name: 'auto-renew' });
      return;
    }
    r.timer = this.#o.scheduler.after(
      r.visibleAt - now,
      () => {
        r.timer = undefined;
        if (this.#expire(r, this.#o.clock.now())) this.#o.onAvailable(r.sub.topic);
      },
      { name: 'invisibility' },
    );
  }

  #renew(r: DeliveryRecord): void {
    r.timer = undefined;
    if (r.state !== 'inflight' || r.renew === undefined) return;
    const now = this.#o.clock.now();
    const { invisibleMs, maxTotalMs } = this.#o.autoRenew;
    if (this.#o.isClientAlive(r.renew.clientId) && now + invisibleMs - r.renew.firstPopAt <= maxTotalMs) {
      r.visibleAt = Math.max(r.visibleAt, now + invisibleMs);
    } else {
      r.renew = undefined;
    }
    this.#arm(r, now);
  }

  /** Ends an expired in-flight delivery: the message becomes receivable again with one more attempt. */
  #expire(r: DeliveryRecord, now: number): boolean {
    if (r.state !== 'inflight' || r.visibleAt > now) return false;
    r.state = 'retry';
    if (!r.suspended) r.reconsumeTimes++;
    r.suspended = false;
    if (r.handle !== undefined) this.#handles.delete(r.handle);
    r.handle = undefined;
    r.renew = undefined;
    r.timer?.cancel();
    r.timer = undefined;
    return true;
  }

  #finish(r: DeliveryRecord): void {
    r.sub.records.delete(recordKey(r.message));
    if (r.handle !== undefined) this.#handles.delete(r.handle);
    r.handle = undefined;
    r.timer?.cancel();
    r.timer = undefined;
  }

  #toDeadLetter(r: DeliveryRecord): void {
    this.#finish(r);
    this.#deadLettered++;
    this.#o.store.appendDeadLetter(r.sub.group, r.message);
  }

  #lookup(group: string, topic: string, handle: string): DeliveryRecord {
    const fields = decodeReceiptHandle(handle);
    const now = this.#o.clock.now();
    const r = this.#handles.get(handle);
    if (r !== undefined && this.#expire(r, now)) this.#o.onAvailable(r.sub.topic);
    if (r !== undefined && r.handle === handle && r.sub.group === group && r.sub.topic === topic) return r;
    if (isReceiptHandleExpired(fields, now)) {
      throw new BrokerStatusError(Code.INVALID_RECEIPT_HANDLE, 'receipt handle is expired');
    }
    throw new BrokerStatusError(Code.INVALID_RECEIPT_HANDLE, 'receipt handle is invalid or was already used');
  }
}
