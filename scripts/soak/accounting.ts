/**
 * At-least-once accounting for long runs, in preallocated typed arrays indexed by message sequence
 * number: its memory does not grow during the run, so it does not distort the RSS and heap figures the
 * soak is there to measure (the per-key ledger of the tests would keep ~1 KiB per message).
 *
 * Same rules as test/helpers/at-least-once.ts: lost = sent OK but never acked; handled after ack = a
 * delivery of the same stored copy received after its ack returned OK (approximated here per message:
 * a delivery after an OK ack whose queue offset equals the acked one); duplicates are reported.
 */

const SENT_OK = 1;
const SENT_FAILED = 2;

/** Final counts. */
export interface SoakAccounting {
  readonly sent: number;
  readonly sentOk: number;
  readonly sentFailed: number;
  readonly deliveries: number;
  readonly duplicates: number;
  readonly acked: number;
  readonly ackFailures: number;
  readonly lost: number;
  readonly handledAfterAck: number;
  readonly foreign: number;
}

export class CompactLedger {
  readonly capacity: number;
  readonly #sent: Uint8Array;
  readonly #deliveries: Uint16Array;
  readonly #ackedOffset: Float64Array; // queue offset of the acked copy + 1 (0 = not acked)
  #sentCount = 0;
  #okCount = 0;
  #failed = 0;
  #deliveriesTotal = 0;
  #ackedCount = 0;
  #ackFailures = 0;
  #afterAck = 0;
  #foreign = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#sent = new Uint8Array(capacity);
    this.#deliveries = new Uint16Array(capacity);
    this.#ackedOffset = new Float64Array(capacity);
  }

  /** Sequence numbers handed out (0-based). */
  get sentCount(): number {
    return this.#sentCount;
  }

  get okCount(): number {
    return this.#okCount;
  }

  get ackedCount(): number {
    return this.#ackedCount;
  }

  /** Sent OK and not acked yet. */
  get lag(): number {
    return this.#okCount - this.#ackedCount;
  }

  /** The next sequence number, or `undefined` when the capacity is used up. */
  next(): number | undefined {
    if (this.#sentCount >= this.capacity) return undefined;
    return this.#sentCount++;
  }

  sent(seq: number, ok: boolean): void {
    this.#sent[seq] = ok ? SENT_OK : SENT_FAILED;
    if (ok) this.#okCount++;
    else this.#failed++;
  }

  /** A delivery of `seq` at `offset` (its stored copy). */
  handled(seq: number, offset: number): void {
    if (!(seq >= 0 && seq < this.#sentCount)) {
      this.#foreign++;
      return;
    }
    this.#deliveriesTotal++;
    if (this.#deliveries[seq]! < 65_535) this.#deliveries[seq]! += 1;
    if (this.#ackedOffset[seq] === offset + 1) this.#afterAck++;
  }

  acked(seq: number, offset: number, ok: boolean): void {
    if (!(seq >= 0 && seq < this.#sentCount)) return;
    if (!ok) {
      this.#ackFailures++;
      return;
    }
    if (this.#ackedOffset[seq] === 0) this.#ackedCount++;
    this.#ackedOffset[seq] = offset + 1;
  }

  report(): SoakAccounting {
    let lost = 0;
    let duplicates = 0;
    for (let i = 0; i < this.#sentCount; i++) {
      if (this.#sent[i] === SENT_OK && this.#ackedOffset[i] === 0) lost++;
      if (this.#deliveries[i]! > 1) duplicates += this.#deliveries[i]! - 1;
    }
    return {
      sent: this.#sentCount,
      sentOk: this.#okCount,
      sentFailed: this.#failed,
      deliveries: this.#deliveriesTotal,
      duplicates,
      acked: this.#ackedCount,
      ackFailures: this.#ackFailures,
      lost,
      handledAfterAck: this.#afterAck,
      foreign: this.#foreign,
    };
  }
}
