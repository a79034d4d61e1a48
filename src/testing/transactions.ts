/**
 * Transaction (half) messages: invisible until EndTransaction COMMIT, deleted on ROLLBACK, and checked
 * while unresolved by sending `recover_orphaned_transaction_command` to a producer of the topic (protocol
 * notes §12.6): first after the check delay (or the message's orphaned-transaction recovery duration, if
 * longer), then every check interval, at most `checkMax` times; after that the message is discarded, as the
 * broker does.
 *
 * @packageDocumentation
 */

import { randomBytes } from 'node:crypto';
import type { Clock } from '../internal/clock.js';
import type { Scheduler, TaskHandle } from '../internal/scheduler.js';
import { Code, TransactionResolution } from '../gen/apache/rocketmq/v2/definition_pb.js';
import { BrokerStatusError } from './status.js';
import type { MessageStore, StoredMessage } from './store.js';

/** Transaction check timing. */
export interface TransactionCheckPolicy {
  /** Age of a half message before its first check (`transactionTimeOut`, 6 s). */
  readonly firstCheckDelayMs: number;
  /** Time between checks (`transactionCheckInterval`, 30 s). */
  readonly intervalMs: number;
  /** Checks before the message is discarded (`transactionCheckMax`, 15). */
  readonly maxChecks: number;
}

/** Dependencies of {@link TransactionLog}. */
export interface TransactionLogOptions {
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly store: MessageStore;
  readonly policy: TransactionCheckPolicy;
  /**
   * Asks a producer of `topic` to resolve the transaction; returns whether a producer was reachable.
   * `message` is the first half message of the transaction.
   */
  readonly check: (topic: string, message: StoredMessage, transactionId: string) => boolean;
}

interface HalfTransaction {
  readonly topic: string;
  readonly transactionId: string;
  readonly messages: readonly StoredMessage[];
  checks: number;
  timer: TaskHandle | undefined;
}

/** Unresolved transactions. */
export class TransactionLog {
  readonly #o: TransactionLogOptions;
  readonly #pending = new Map<string, HalfTransaction>();
  #checksSent = 0;
  #discarded = 0;

  constructor(options: TransactionLogOptions) {
    this.#o = options;
  }

  /** Half messages waiting for a resolution. */
  get halfMessageCount(): number {
    let n = 0;
    for (const t of this.#pending.values()) n += t.messages.length;
    return n;
  }

  /** Recover commands sent to producers since start. */
  get checksSent(): number {
    return this.#checksSent;
  }

  /** Transactions dropped after the last check. */
  get discardedCount(): number {
    return this.#discarded;
  }

  /**
   * Keeps `messages` (all of one topic, queue ids assigned) as one transaction; returns its id and the
   * offset the first one got in the broker's half queue.
   *
   * @param immunityMs - the messages' orphaned-transaction recovery duration (delays the first check).
   */
  begin(messages: readonly StoredMessage[], immunityMs = 0): { transactionId: string; offset: number } {
    const topic = messages[0]!.topic;
    const transactionId = randomBytes(16).toString('hex').toUpperCase();
    const tx: HalfTransaction = { topic, transactionId, messages, checks: 0, timer: undefined };
    this.#pending.set(this.#key(topic, transactionId), tx);
    const delay = Math.max(this.#o.policy.firstCheckDelayMs, immunityMs);
    tx.timer = this.#o.scheduler.after(delay, () => this.#check(tx), { name: 'transaction-check' });
    let offset = -1;
    for (const _ of messages) {
      const o = this.#o.store.nextSystemOffset();
      if (offset < 0) offset = o;
    }
    return { transactionId, offset };
  }

  /**
   * Resolves a transaction. `TRANSACTION_RESOLUTION_UNSPECIFIED` (UNKNOWN) is accepted and changes nothing.
   *
   * @throws BrokerStatusError `INVALID_TRANSACTION_ID` for a blank id; `INTERNAL_SERVER_ERROR` "cannot found
   * transaction data" for an unknown (or already resolved) transaction of that topic, like the proxy.
   */
  end(topic: string, transactionId: string, resolution: TransactionResolution): void {
    if (transactionId.trim() === '') {
      throw new BrokerStatusError(Code.INVALID_TRANSACTION_ID, 'transaction id cannot be empty');
    }
    const key = this.#key(topic, transactionId);
    const tx = this.#pending.get(key);
    if (tx === undefined) {
      throw new BrokerStatusError(Code.INTERNAL_SERVER_ERROR, 'cannot found transaction data');
    }
    if (resolution === TransactionResolution.COMMIT) {
      this.#resolve(key, tx);
      if (this.#o.store.topic(topic) !== undefined) for (const m of tx.messages) this.#o.store.append({ ...m, transactional: true });
    } else if (resolution === TransactionResolution.ROLLBACK) {
      this.#resolve(key, tx);
    }
  }

  #resolve(key: string, tx: HalfTransaction): void {
    tx.timer?.cancel();
    tx.timer = undefined;
    this.#pending.delete(key);
  }

  #check(tx: HalfTransaction): void {
    const key = this.#key(tx.topic, tx.transactionId);
    if (this.#pending.get(key) !== tx) return;
    if (tx.checks >= this.#o.policy.maxChecks) {
      this.#resolve(key, tx);
      this.#discarded++;
      return;
    }
    tx.checks++;
    if (this.#o.check(tx.topic, tx.messages[0]!, tx.transactionId)) this.#checksSent++;
    tx.timer = this.#o.scheduler.after(this.#o.policy.intervalMs, () => this.#check(tx), {
      name: 'transaction-check',
    });
  }

  #key(topic: string, transactionId: string): string {
    return `${topic}\u0000${transactionId}`;
  }
}
