/**
 * At-least-once accounting for long runs, in preallocated typed arrays indexed by message sequence
 * number: its memory does not grow during the run, so it does not distort the RSS and heap figures the
 * soak is there to measure (the per-key ledger of the tests would keep ~1 KiB per message). One ledger
 * per consumer group; the send outcomes are recorded in each.
 *
 * Same rules as test/helpers/at-least-once.ts: lost = sent OK but never consumed; handled after ack = a
 * delivery of the same stored copy received after its ack returned OK (approximated here per message:
 * a delivery after an OK ack whose queue offset equals the acked one); duplicates = deliveries beyond
 * the first of each message. A message whose send failed (timed out: its outcome is unknown) may still
 * have been stored: its deliveries are counted as `recovered`, never as lost.
 *
 * An ack that failed without the broker's own refusal (a timeout, a lost connection) may have been
 * applied: as in the test ledger, a message whose last ack had such an unknown outcome and that is not
 * delivered again counts as consumed (`ackUnknown`), not as lost; a later delivery reopens it.
 *
 * A delivery after a confirmed ack is excused, and counted apart, when the ack was confirmed within
 * {@link ACK_LOSS_WINDOW_MS} before a SIGKILL of the broker: the broker writes pop acks and consumer
 * offsets asynchronously (flushConsumerOffsetInterval = 5 s), so those acks can die with the JVM.
 */

const SENT_OK = 1;
const SENT_FAILED = 2;

/** Acks confirmed this long before a broker SIGKILL may be lost with it. */
export const ACK_LOSS_WINDOW_MS = 5_000;

/** Final counts. */
export interface SoakAccounting {
  readonly sent: number;
  readonly sentOk: number;
  readonly sentFailed: number;
  readonly deliveries: number;
  /** Deliveries beyond the first of each message. */
  readonly duplicates: number;
  /**
   * The part of `duplicates` that were first deliveries (attempt 1) of another stored copy: a send
   * retried after its first attempt had been stored but not answered in time. The rest are
   * redeliveries (attempt ≥ 2) of a copy that was not acked in time.
   */
  readonly storedCopies: number;
  /** Messages consumed (acked, or for a push consumer: listener returned success), sent OK. */
  readonly acked: number;
  readonly ackFailures: number;
  /** Messages settled only by an ack of unknown outcome that no redelivery followed (counted in `acked`). */
  readonly ackUnknown: number;
  /** Messages whose send failed but which were delivered anyway (stored before the failure). */
  readonly recovered: number;
  readonly lost: number;
  readonly handledAfterAck: number;
  /** Deliveries after an ack confirmed ≤ 5 s before a broker SIGKILL (see the module documentation). */
  readonly afterAckExcused: number;
  /**
   * For the deliveries after an ack that are not excused: how long before the next kill the ack was
   * confirmed (ms; -1 when no kill followed it), at most 20 of them. Tells a broker losing older acks
   * from a ledger or client fault.
   */
  readonly afterAckAckToKillMs: readonly number[];
  /**
   * At most 20 of each, for diagnosis: the lost messages (sequence number, send time in s since the
   * ledger was created, deliveries seen) and the deliveries after an unexcused ack (sequence number, stored copy, ack
   * and delivery times in s).
   */
  readonly lostSamples: readonly { seq: number; sentAtS: number; deliveries: number }[];
  readonly afterAckSamples: readonly { seq: number; copy: number; ackedAtS: number; deliveredAtS: number }[];
  readonly foreign: number;
}

export class CompactLedger {
  readonly capacity: number;
  readonly #sent: Uint8Array;
  readonly #deliveries: Uint16Array;
  readonly #ackedOffset: Float64Array; // queue offset of the acked copy + 1 (0 = not consumed)
  readonly #ackedAt: Float64Array; // performance.now() of the confirmed ack (0 = none confirmed)
  readonly #ackUnknown: Uint8Array; // 1 = consumed only by an ack of unknown outcome, not delivered since
  readonly #kills: number[] = [];
  #sentCount = 0;
  #okCount = 0;
  #failed = 0;
  #deliveriesTotal = 0;
  #ackedOkCount = 0;
  #ackFailures = 0;
  #afterAck = 0;
  #storedCopies = 0;
  #afterAckExcused = 0;
  readonly #afterAckAges: number[] = [];
  readonly #afterAckSamples: { seq: number; copy: number; ackedAtS: number; deliveredAtS: number }[] = [];
  readonly #sentAt: Float32Array; // seconds since creation, when the send was started
  readonly #origin = performance.now();
  #foreign = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#sent = new Uint8Array(capacity);
    this.#deliveries = new Uint16Array(capacity);
    this.#ackedOffset = new Float64Array(capacity);
    this.#ackedAt = new Float64Array(capacity);
    this.#sentAt = new Float32Array(capacity);
    this.#ackUnknown = new Uint8Array(capacity);
  }

  /** Sequence numbers handed out (0-based). */
  get sentCount(): number {
    return this.#sentCount;
  }

  get okCount(): number {
    return this.#okCount;
  }

  /** Messages sent OK and consumed. */
  get ackedCount(): number {
    return this.#ackedOkCount;
  }

  /** Sent OK and not consumed yet. */
  get lag(): number {
    return this.#okCount - this.#ackedOkCount;
  }

  /** The next sequence number, or `undefined` when the capacity is used up. */
  next(): number | undefined {
    if (this.#sentCount >= this.capacity) return undefined;
    this.#sentAt[this.#sentCount] = (performance.now() - this.#origin) / 1000;
    return this.#sentCount++;
  }

  sent(seq: number, ok: boolean): void {
    this.#sent[seq] = ok ? SENT_OK : SENT_FAILED;
    if (ok) {
      this.#okCount++;
      // The delivery can overtake the send's response.
      if (this.#ackedOffset[seq] !== 0) this.#ackedOkCount++;
    } else this.#failed++;
  }

  /** The broker's JVM was SIGKILLed and is dead at `at` (performance.now()). */
  killed(at: number): void {
    this.#kills.push(at);
  }

  /** A delivery of `seq` at `offset` (its stored copy); `attempt` is the broker's delivery attempt. */
  handled(seq: number, offset: number, attempt: number): void {
    if (!(seq >= 0 && seq < this.#sentCount)) {
      this.#foreign++;
      return;
    }
    this.#deliveriesTotal++;
    if (this.#deliveries[seq]! > 0 && attempt === 1) this.#storedCopies++;
    if (this.#ackUnknown[seq] === 1) {
      // Delivered again: that ack was not applied; the message is open until acked again.
      this.#ackUnknown[seq] = 0;
      if (this.#ackedOffset[seq] !== 0 && this.#sent[seq] === SENT_OK) this.#ackedOkCount--;
      this.#ackedOffset[seq] = 0;
    }
    if (this.#deliveries[seq]! < 65_535) this.#deliveries[seq]! += 1;
    const at = this.#ackedAt[seq]!;
    if (at !== 0 && this.#ackedOffset[seq] === offset + 1) {
      if (this.#kills.some((k) => at <= k && at >= k - ACK_LOSS_WINDOW_MS)) this.#afterAckExcused++;
      else {
        this.#afterAck++;
        const next = this.#kills.find((k) => k >= at);
        if (this.#afterAckAges.length < 20) this.#afterAckAges.push(next === undefined ? -1 : Math.round(next - at));
        if (this.#afterAckSamples.length < 20)
          this.#afterAckSamples.push({
            seq,
            copy: offset,
            ackedAtS: Math.round((at - this.#origin) / 100) / 10,
            deliveredAtS: Math.round((performance.now() - this.#origin) / 100) / 10,
          });
      }
    }
  }

  /**
   * The outcome of a consume: `confirmed` when the broker answered the ack OK (a SimpleConsumer's ack),
   * `consumed` when the message is done but its ack is not reported per message (a PushConsumer's
   * listener returned success; the consumer acks it in the background), `failed` when the ack failed.
   */
  acked(seq: number, offset: number, outcome: 'confirmed' | 'consumed' | 'failed' | 'unknown'): void {
    if (!(seq >= 0 && seq < this.#sentCount)) return;
    if (outcome === 'failed' || outcome === 'unknown') this.#ackFailures++;
    if (outcome === 'failed') return;
    if (outcome === 'unknown') {
      // Only when nothing settled it for sure already.
      if (this.#ackedOffset[seq] !== 0) return;
      this.#ackUnknown[seq] = 1;
    } else this.#ackUnknown[seq] = 0;
    if (this.#ackedOffset[seq] === 0 && this.#sent[seq] === SENT_OK) this.#ackedOkCount++;
    this.#ackedOffset[seq] = offset + 1;
    if (outcome === 'confirmed') this.#ackedAt[seq] = performance.now();
  }

  report(): SoakAccounting {
    let lost = 0;
    let duplicates = 0;
    let recovered = 0;
    let ackUnknown = 0;
    const lostSamples: { seq: number; sentAtS: number; deliveries: number }[] = [];
    for (let i = 0; i < this.#sentCount; i++) {
      if (this.#sent[i] === SENT_OK && this.#ackedOffset[i] === 0) {
        lost++;
        if (lostSamples.length < 20) lostSamples.push({ seq: i, sentAtS: Math.round(this.#sentAt[i]! * 10) / 10, deliveries: this.#deliveries[i]! });
      }
      if (this.#sent[i] === SENT_FAILED && this.#deliveries[i]! > 0) recovered++;
      if (this.#sent[i] === SENT_OK && this.#ackUnknown[i] === 1) ackUnknown++;
      if (this.#deliveries[i]! > 1) duplicates += this.#deliveries[i]! - 1;
    }
    return {
      sent: this.#sentCount,
      sentOk: this.#okCount,
      sentFailed: this.#failed,
      deliveries: this.#deliveriesTotal,
      duplicates,
      storedCopies: this.#storedCopies,
      acked: this.#ackedOkCount,
      ackFailures: this.#ackFailures,
      ackUnknown,
      recovered,
      lost,
      handledAfterAck: this.#afterAck,
      afterAckExcused: this.#afterAckExcused,
      afterAckAckToKillMs: [...this.#afterAckAges],
      lostSamples,
      afterAckSamples: [...this.#afterAckSamples],
      foreign: this.#foreign,
    };
  }
}
