/**
 * A local transaction: half messages sent with {@link Transaction.send}, then ended with
 * {@link Transaction.commit} or {@link Transaction.rollback}.
 *
 * - More than one message is allowed (the official SDKs allow one). Each half message is a separate
 *   broker transaction with its own transaction id, ended by its own EndTransaction at the endpoint that
 *   accepted it; commit / rollback send them in parallel. This is **not atomic across messages**: if
 *   some EndTransaction calls fail, the call rejects, the transaction stays "ending" and the same
 *   decision may be retried (only the unended messages are sent again); otherwise the broker's check
 *   reaches the transaction checker for the ones left.
 * - `commit()` / `rollback()` before any send rejects with `INVALID_STATE` (nothing to end), and while a
 *   send is in flight also with `INVALID_STATE`.
 * - After a decision, `send()` and the other decision reject with `INVALID_STATE`.
 *
 * Lifecycle: `open ──► ending ──► committed | rolled-back` (a failed end stays `ending`).
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { MessageInit } from '../model/message.js';
import type { SendReceipt } from '../model/send-receipt.js';
import type { TransactionDecision } from '../protocol/transaction-convert.js';
import type { CallOptions, SendOptions } from './options.js';

/** Names of a transaction's states. */
export type TransactionState = 'open' | 'ending' | 'committed' | 'rolled-back';

/** What a {@link Transaction} needs from its producer. */
export interface TransactionHost {
  /** Sends one half message. */
  sendHalf(message: MessageInit, options: SendOptions | undefined): Promise<SendReceipt>;
  /** Ends one half message at the endpoint that accepted it. */
  end(receipt: SendReceipt, decision: TransactionDecision, options: CallOptions | undefined): Promise<void>;
}

interface Entry {
  readonly receipt: SendReceipt;
  ended: boolean;
}

/** One transaction. Create it with `producer.beginTransaction()`. */
export class Transaction {
  readonly #host: TransactionHost;
  readonly #entries: Entry[] = [];
  #state: TransactionState = 'open';
  #decision: TransactionDecision | undefined;
  #pendingSends = 0;
  #ending: Promise<void> | undefined;

  /** @internal */
  constructor(host: TransactionHost) {
    this.#host = host;
  }

  /** `open ──► ending ──► committed | rolled-back`; a failed end stays `ending`. */
  get state(): TransactionState {
    return this.#state;
  }

  /** Receipts of the half messages sent so far. */
  get receipts(): readonly SendReceipt[] {
    return this.#entries.map((e) => e.receipt);
  }

  /**
   * Sends a half message (invisible to consumers until commit). The message must not select another
   * type (no group, delay or priority) and its topic must be one of the producer's `topics`.
   *
   * @throws RocketMQError `INVALID_STATE` once commit/rollback was called; the send's errors otherwise.
   */
  async send(message: MessageInit, options?: SendOptions): Promise<SendReceipt> {
    if (this.#state !== 'open') {
      throw new RocketMQError(`Cannot send in a transaction that is ${this.#state}`, 'INVALID_STATE');
    }
    this.#pendingSends++;
    try {
      const receipt = await this.#host.sendHalf(message, options);
      this.#entries.push({ receipt, ended: false });
      return receipt;
    } finally {
      this.#pendingSends--;
    }
  }

  /** Commits every half message. See the module documentation for partial failures. */
  commit(options?: CallOptions): Promise<void> {
    return this.#end('COMMIT', options);
  }

  /** Rolls back every half message. See the module documentation for partial failures. */
  rollback(options?: CallOptions): Promise<void> {
    return this.#end('ROLLBACK', options);
  }

  async #end(decision: TransactionDecision, options: CallOptions | undefined): Promise<void> {
    const done = decision === 'COMMIT' ? 'committed' : 'rolled-back';
    if (this.#state === done) return;
    if (this.#decision !== undefined && this.#decision !== decision) {
      throw new RocketMQError(
        `The transaction was already ${this.#decision === 'COMMIT' ? 'committed' : 'rolled back'}`,
        'INVALID_STATE',
      );
    }
    if (this.#ending !== undefined) return this.#ending;
    if (this.#pendingSends > 0) {
      throw new RocketMQError('A send of this transaction is still in flight', 'INVALID_STATE');
    }
    if (this.#entries.length === 0) {
      throw new RocketMQError('No message was sent in this transaction', 'INVALID_STATE');
    }
    this.#decision = decision;
    this.#state = 'ending';
    this.#ending = (async () => {
      const results = await Promise.allSettled(
        this.#entries
          .filter((e) => !e.ended)
          .map(async (e) => {
            await this.#host.end(e.receipt, decision, options);
            e.ended = true;
          }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw RocketMQError.from(failed.reason);
      this.#state = done;
    })().finally(() => {
      this.#ending = undefined;
    });
    return this.#ending;
  }
}
