/**
 * The at-least-once checker: a Jepsen-style ledger of what was sent, handled,
 * acked and dead-lettered, per message key, and the verdict over it.
 *
 * - Sends are recorded as `ok` (with the receipt's message id), `failed` (the broker or the client
 *   refused it for sure: nothing was stored) or `unknown` (timed out, connection lost, process killed:
 *   it may or may not have been stored). {@link AtLeastOnceLedger.send} classifies a send's outcome.
 * - Deliveries are recorded when the consumer gets the message (before handling it), with the stored
 *   copy they are (`queueId@offset`): a producer retry after a lost response stores a second copy with
 *   the same message id, which is a duplicate, not a redelivery.
 * - Acks are recorded when the ack call returned: `ok`, `failed` (the broker refused it, so the message
 *   comes back) or `unknown` (the transport failed: it may have been applied). A key whose last ack is
 *   `unknown` and that is not delivered again afterwards counts as acked; `drain()` in ledger-flows.ts
 *   keeps receiving for longer than the invisible duration so that an ack that was not applied shows up
 *   as a redelivery.
 *
 * The checker computes:
 * - **lost**: `ok`-sent keys that were not both handled and acked, and are not in the DLQ (must be 0);
 * - **recovered**: `unknown`/`failed`-sent keys that were handled anyway (reported);
 * - **handled after ack**: deliveries of a stored copy received after a successful ack of that copy had
 *   returned (must be 0, except where the caller excuses them with a documented broker behaviour);
 * - **duplicates**: deliveries beyond the first per key (reported, bounded by `maxDuplicates`), of which
 *   **extra copies** are other stored copies of the key, first delivered as attempt 1 (a send retried
 *   after an attempt whose answer came late or never), and **redeliveries** the rest (bounded by
 *   `maxRedeliveries`): deliveries of a copy already delivered, including a message revived under
 *   another `queueId@offset` with a later attempt (a real broker re-puts it through the retry topic);
 * - **foreign**: handled keys this run never sent (must be 0: a sign of topic reuse or a bad key).
 *
 * Events are plain JSON (see {@link LedgerEvent}) so a child process can report them on stdout and the
 * parent can {@link AtLeastOnceLedger.ingest} them. Times are epoch milliseconds with sub-ms resolution
 * (`performance.timeOrigin + performance.now()`), comparable across processes on one machine.
 */
import { RocketMQError } from '../../src/errors.js';

export type SendOutcome = 'ok' | 'failed' | 'unknown';
export type AckOutcome = 'ok' | 'failed' | 'unknown';

/** One ledger event; serialisable. */
export type LedgerEvent =
  | {
      readonly type: 'sent';
      readonly key: string;
      readonly outcome: SendOutcome;
      readonly messageId?: string;
      readonly code?: string;
      readonly at: number;
    }
  | {
      readonly type: 'handled';
      readonly key: string;
      readonly messageId?: string;
      /** The stored copy, `queueId@offset`. */
      readonly copy?: string;
      readonly attempt?: number;
      readonly consumer?: string;
      readonly at: number;
    }
  | {
      readonly type: 'acked';
      readonly key: string;
      readonly outcome: AckOutcome;
      readonly copy?: string;
      readonly code?: string;
      readonly at: number;
    }
  | { readonly type: 'dlq'; readonly key: string; readonly at: number };

/** One delivery of a key. */
export interface Delivery {
  readonly at: number;
  readonly copy?: string;
  readonly attempt?: number;
  readonly consumer?: string;
}

/** A delivery received after its copy's ack had returned OK. */
export interface AfterAck extends Delivery {
  readonly key: string;
  readonly ackedAt: number;
  readonly handledAt: number;
}

/** The verdict. */
export interface LedgerReport {
  readonly name: string;
  readonly sent: {
    readonly total: number;
    readonly ok: number;
    readonly failed: number;
    readonly unknown: number;
  };
  readonly deliveries: number;
  readonly handledKeys: number;
  readonly duplicates: number;
  /** Extra stored copies delivered (same key, another `queueId@offset`). */
  readonly copies: number;
  /** Deliveries of a stored copy beyond its first (`duplicates` − `copies`). */
  readonly redeliveries: number;
  readonly ackedKeys: number;
  /** Keys settled by an ack of unknown outcome that no redelivery followed. */
  readonly ackUnknownKeys: number;
  readonly ackFailures: number;
  readonly deadLettered: number;
  readonly lost: readonly string[];
  readonly recovered: readonly string[];
  readonly handledAfterAck: readonly AfterAck[];
  readonly excused: readonly AfterAck[];
  readonly foreign: readonly string[];
}

/** Options of {@link AtLeastOnceLedger.assertHolds}. */
export interface AssertOptions {
  /**
   * A documented broker behaviour that may redeliver after an ack (e.g. acks lost by a SIGKILL of the
   * broker before they were persisted). Matching deliveries are reported as excused.
   */
  readonly excuse?: { readonly reason: string; readonly applies: (violation: AfterAck) => boolean };
  /** Fail when more duplicate deliveries than this happen. @defaultValue unbounded */
  readonly maxDuplicates?: number;
  /**
   * Fail when more redeliveries (deliveries of a stored copy beyond its first) than this happen; extra
   * copies from producer retries are not counted here. @defaultValue unbounded
   */
  readonly maxRedeliveries?: number;
  /** Where the summary line goes. @defaultValue console.log */
  readonly log?: (line: string) => void;
}

interface KeyState {
  outcome: SendOutcome | undefined;
  messageId?: string;
  handled: Delivery[];
  /** First successful ack per copy ('' when the copy is not known). */
  ackOkAt: Map<string, number>;
  /** Time of the last ack of unknown outcome. */
  lastAckUnknownAt: number | undefined;
  ackFailures: number;
  dlq: boolean;
}

const now = (): number => performance.timeOrigin + performance.now();

/** Error codes that prove a send was refused before anything was stored. */
const REFUSED = new Set(['INVALID_ARGUMENT', 'INVALID_STATE']);

/** `failed` when the error proves nothing was stored, else `unknown`. */
export function classifySendError(err: unknown): Exclude<SendOutcome, 'ok'> {
  const e = RocketMQError.from(err);
  if (REFUSED.has(e.code)) return 'failed';
  // A broker status that is not retriable (4xx) is an answer: the message was not stored.
  if (e.brokerCode !== undefined && !e.retriable) return 'failed';
  return 'unknown';
}

/**
 * `failed` for a refusal the broker answered with its own status (the ack was not applied), `unknown`
 * for anything else: transport trouble or an answer without a status (it may have been applied).
 */
export function classifyAckError(err: unknown): Exclude<AckOutcome, 'ok'> {
  const e = RocketMQError.from(err);
  return e.brokerCode !== undefined && !e.retriable ? 'failed' : 'unknown';
}

/** The stored copy a view is (`queueId@offset`), when the broker gave an offset. */
export function copyOf(view: {
  readonly queueId: number;
  readonly queueOffset?: bigint;
}): string | undefined {
  return view.queueOffset === undefined ? undefined : `${view.queueId}@${view.queueOffset}`;
}

/**
 * Settled: dead-lettered, or delivered and acked — OK, or with an unknown outcome that no later
 * delivery contradicts.
 */
function settled(k: KeyState): boolean {
  if (k.dlq) return true;
  if (k.handled.length === 0) return false;
  if (k.ackOkAt.size > 0) return true;
  const lastDelivery = k.handled[k.handled.length - 1]!.at;
  return k.lastAckUnknownAt !== undefined && k.lastAckUnknownAt >= lastDelivery;
}

/**
 * The stored copies of a key: those of its first deliveries (attempt 1, or unknown). A message revived
 * after its invisible duration can come back under another `queueId@offset` (a real broker re-puts it
 * through the group's retry topic), with a later attempt: that is a redelivery, not another copy.
 */
function storedCopies(handled: readonly Delivery[]): Set<string> {
  return new Set(handled.filter((h) => (h.attempt ?? 1) <= 1).map((h) => h.copy ?? ''));
}

/**
 * For a redelivery (attempt ≥ 2) under a copy name never acked: each stored copy delivered before it is
 * settled by one OK ack (of its first delivery or of a revived one), so when at least as many copies had
 * been acked OK before it as stored copies had been delivered, the message came back after its ack:
 * returns the time of the last of those acks, else undefined.
 */
function revivedAfterAck(k: KeyState, h: Delivery): number | undefined {
  if ((h.attempt ?? 1) <= 1) return undefined;
  const stored = storedCopies(k.handled.filter((d) => d.at < h.at)).size;
  if (stored === 0) return undefined;
  const acks = [...k.ackOkAt.values()].filter((at) => at < h.at);
  return acks.length >= stored ? Math.max(...acks) : undefined;
}

/** The ledger of one test. See the module documentation. */
export class AtLeastOnceLedger {
  readonly name: string;
  readonly #keys = new Map<string, KeyState>();
  readonly #foreign = new Set<string>();
  #seq = 0;

  constructor(name: string) {
    this.name = name;
  }

  /** A fresh key for the next message (`<name>:<n>`). */
  nextKey(): string {
    this.#seq += 1;
    return `${this.name}:${this.#seq}`;
  }

  /** Keys recorded as sent so far (any outcome). */
  get sentCount(): number {
    return this.#keys.size;
  }

  /** Number of distinct keys acked OK. */
  get ackedCount(): number {
    let n = 0;
    for (const k of this.#keys.values()) if (k.ackOkAt.size > 0) n++;
    return n;
  }

  /** Number of ok-sent keys not settled yet (see {@link settled}). */
  get pendingCount(): number {
    let n = 0;
    for (const k of this.#keys.values()) if (k.outcome === 'ok' && !settled(k)) n++;
    return n;
  }

  /** Number of keys settled only by an ack of unknown outcome (confirmed by no redelivery so far). */
  get unconfirmedCount(): number {
    let n = 0;
    for (const k of this.#keys.values()) if (!k.dlq && k.ackOkAt.size === 0 && settled(k)) n++;
    return n;
  }

  /** True when every key sent OK is settled. */
  get drained(): boolean {
    return this.pendingCount === 0;
  }

  /** Acks of `key` the broker refused so far (each brings the message back once). */
  ackFailuresOf(key: string): number {
    return this.#keys.get(key)?.ackFailures ?? 0;
  }

  /** Deliveries of `key` so far. */
  deliveriesOf(key: string): readonly Delivery[] {
    return this.#keys.get(key)?.handled ?? [];
  }

  /**
   * Runs one send and records its outcome. Resolves with the receipt, or `undefined` when the send
   * failed (the error is recorded, never thrown).
   */
  async send<R extends { readonly messageId: string }>(
    key: string,
    run: () => Promise<R>,
  ): Promise<R | undefined> {
    this.record({ type: 'sent', key, outcome: 'unknown', at: now() });
    try {
      const receipt = await run();
      this.record({ type: 'sent', key, outcome: 'ok', messageId: receipt.messageId, at: now() });
      return receipt;
    } catch (err) {
      const outcome = classifySendError(err);
      this.record({ type: 'sent', key, outcome, code: RocketMQError.from(err).code, at: now() });
      return undefined;
    }
  }

  /** Records a delivery of `key` (call it when the message arrives, before handling it). */
  handled(
    key: string,
    info: { messageId?: string; copy?: string | undefined; attempt?: number; consumer?: string } = {},
  ): void {
    const { copy, ...rest } = info;
    this.record({ type: 'handled', key, ...rest, ...(copy === undefined ? {} : { copy }), at: now() });
  }

  /** Records the outcome of an ack of `key` (of stored copy `copy`, when known). */
  acked(key: string, outcome: AckOutcome, info: { copy?: string | undefined; err?: unknown } = {}): void {
    this.record({
      type: 'acked',
      key,
      outcome,
      ...(info.copy === undefined ? {} : { copy: info.copy }),
      ...(info.err === undefined ? {} : { code: RocketMQError.from(info.err).code }),
      at: now(),
    });
  }

  /** Records that `key` was found in the dead-letter queue. */
  deadLettered(key: string): void {
    this.record({ type: 'dlq', key, at: now() });
  }

  /** Adds events reported by another process (or recorded earlier). */
  ingest(events: Iterable<LedgerEvent>): void {
    for (const e of events) this.record(e);
  }

  /** Records one event. */
  record(event: LedgerEvent): void {
    if (event.type === 'sent') {
      const k = this.#state(event.key, true)!;
      // 'unknown' is the intent written before the send; a later definite outcome replaces it.
      if (k.outcome === undefined || event.outcome !== 'unknown') k.outcome = event.outcome;
      if (event.messageId !== undefined) k.messageId = event.messageId;
      return;
    }
    const k = this.#state(event.key, false);
    if (k === undefined) {
      this.#foreign.add(event.key);
      return;
    }
    switch (event.type) {
      case 'handled':
        k.handled.push({
          at: event.at,
          ...(event.copy === undefined ? {} : { copy: event.copy }),
          ...(event.attempt === undefined ? {} : { attempt: event.attempt }),
          ...(event.consumer === undefined ? {} : { consumer: event.consumer }),
        });
        k.handled.sort((a, b) => a.at - b.at);
        return;
      case 'acked':
        if (event.outcome === 'ok') {
          const copy = event.copy ?? '';
          k.ackOkAt.set(copy, Math.min(k.ackOkAt.get(copy) ?? Number.POSITIVE_INFINITY, event.at));
        } else if (event.outcome === 'unknown') {
          k.lastAckUnknownAt = Math.max(k.lastAckUnknownAt ?? 0, event.at);
        } else {
          k.ackFailures += 1;
        }
        return;
      case 'dlq':
        k.dlq = true;
        return;
      default: {
        const exhaustive: never = event;
        throw new Error(`unknown ledger event ${JSON.stringify(exhaustive)}`);
      }
    }
  }

  /** Computes the verdict (see the module documentation). */
  report(excuse?: AssertOptions['excuse']): LedgerReport {
    let ok = 0;
    let failed = 0;
    let unknown = 0;
    let deliveries = 0;
    let handledKeys = 0;
    let ackedKeys = 0;
    let ackUnknownKeys = 0;
    let copies = 0;
    let ackFailures = 0;
    let dlq = 0;
    const lost: string[] = [];
    const recovered: string[] = [];
    const afterAck: AfterAck[] = [];
    const excused: AfterAck[] = [];
    for (const [key, k] of this.#keys) {
      if (k.outcome === 'ok') ok++;
      else if (k.outcome === 'failed') failed++;
      else unknown++;
      deliveries += k.handled.length;
      if (k.handled.length > 0) handledKeys++;
      if (k.ackOkAt.size > 0) ackedKeys++;
      else if (settled(k) && !k.dlq) ackUnknownKeys++;
      copies += Math.max(0, storedCopies(k.handled).size - 1);
      ackFailures += k.ackFailures;
      if (k.dlq) dlq++;
      if (k.outcome === 'ok' && !settled(k)) lost.push(key);
      if (k.outcome !== 'ok' && k.handled.length > 0) recovered.push(key);
      for (const h of k.handled) {
        const ackedAt = k.ackOkAt.get(h.copy ?? '') ?? k.ackOkAt.get('') ?? revivedAfterAck(k, h);
        if (ackedAt === undefined || h.at <= ackedAt) continue;
        const v: AfterAck = { key, ackedAt, handledAt: h.at, ...h };
        if (excuse?.applies(v)) excused.push(v);
        else afterAck.push(v);
      }
    }
    return {
      name: this.name,
      sent: { total: this.#keys.size, ok, failed, unknown },
      deliveries,
      handledKeys,
      duplicates: deliveries - handledKeys,
      copies,
      redeliveries: deliveries - handledKeys - copies,
      ackedKeys,
      ackUnknownKeys,
      ackFailures,
      deadLettered: dlq,
      lost,
      recovered,
      handledAfterAck: afterAck,
      excused,
      foreign: [...this.#foreign],
    };
  }

  /** One line of counts. */
  summary(report = this.report()): string {
    const r = report;
    return (
      `ledger ${r.name}: sent ${r.sent.total} (ok ${r.sent.ok}, failed ${r.sent.failed}, unknown ${r.sent.unknown})` +
      ` · deliveries ${r.deliveries} of ${r.handledKeys} keys (duplicates ${r.duplicates}, extra copies ${r.copies})` +
      ` · acked ${r.ackedKeys} (+${r.ackUnknownKeys} unconfirmed; ack failures ${r.ackFailures}) · dlq ${r.deadLettered}` +
      ` · lost ${r.lost.length} · recovered ${r.recovered.length}` +
      ` · handled-after-ack ${r.handledAfterAck.length} (excused ${r.excused.length})` +
      ` · foreign ${r.foreign.length}`
    );
  }

  /**
   * Prints the counts and fails when a message was lost, redelivered after its ack (unless excused),
   * foreign, or duplicated more than allowed. Returns the report.
   */
  assertHolds(options: AssertOptions = {}): LedgerReport {
    const r = this.report(options.excuse);
    const log = options.log ?? ((line: string) => console.log(line));
    log(
      this.summary(r) +
        (options.excuse && r.excused.length > 0 ? ` [excused: ${options.excuse.reason}]` : ''),
    );
    const problems: string[] = [];
    if (r.lost.length > 0) problems.push(`${r.lost.length} lost: ${r.lost.slice(0, 10).join(', ')}`);
    if (r.handledAfterAck.length > 0) {
      const first = r.handledAfterAck
        .slice(0, 5)
        .map((v) => `${v.key} (+${(v.handledAt - v.ackedAt).toFixed(0)} ms)`)
        .join(', ');
      problems.push(`${r.handledAfterAck.length} handled after ack: ${first}`);
    }
    if (r.foreign.length > 0)
      problems.push(`${r.foreign.length} foreign keys: ${r.foreign.slice(0, 5).join(', ')}`);
    if (options.maxDuplicates !== undefined && r.duplicates > options.maxDuplicates) {
      problems.push(`${r.duplicates} duplicate deliveries (max ${options.maxDuplicates})`);
    }
    if (options.maxRedeliveries !== undefined && r.redeliveries > options.maxRedeliveries) {
      problems.push(`${r.redeliveries} redeliveries (max ${options.maxRedeliveries})`);
    }
    if (problems.length > 0) throw new Error(`at-least-once violated for ${r.name}: ${problems.join('; ')}`);
    return r;
  }

  #state(key: string, create: boolean): KeyState | undefined {
    let k = this.#keys.get(key);
    if (k === undefined && create) {
      k = {
        outcome: undefined,
        handled: [],
        ackOkAt: new Map(),
        lastAckUnknownAt: undefined,
        ackFailures: 0,
        dlq: false,
      };
      this.#keys.set(key, k);
    }
    return k;
  }
}

/** Reads the ledger key a message carries (the message key containing a `:`; send with `keys: [key]`). */
export function ledgerKeyOf(view: { readonly keys: readonly string[] }): string | undefined {
  return view.keys.find((k) => k.includes(':'));
}
