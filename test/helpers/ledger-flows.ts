/**
 * Producer and SimpleConsumer loops that report to an {@link AtLeastOnceLedger}: keyed sends, a
 * consume-and-ack loop that keeps going through faults, and a bounded drain.
 */
import type { SimpleConsumer } from '../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../src/errors.js';
import type { MessageView } from '../../src/model/message-view.js';
import type { SendReceipt } from '../../src/model/send-receipt.js';
import type { Producer } from '../../src/producer/index.js';
import { type AtLeastOnceLedger, classifyAckError, copyOf, ledgerKeyOf } from './at-least-once.js';

/** Sends one keyed message through the ledger; resolves with its key and receipt (undefined on failure). */
export async function sendKeyed(
  producer: Producer,
  ledger: AtLeastOnceLedger,
  topic: string,
  options: { timeoutMs?: number; body?: string | Buffer } = {},
): Promise<{ key: string; receipt: SendReceipt | undefined }> {
  const key = ledger.nextKey();
  const receipt = await ledger.send(key, () =>
    producer.send(
      { topic, body: options.body ?? `body of ${key}`, keys: [key] },
      options.timeoutMs === undefined ? undefined : { timeoutMs: options.timeoutMs },
    ),
  );
  return { key, receipt };
}

/** Ack attempts per delivery: an ack that failed on the transport is retried while the handle is valid. */
const ACK_ATTEMPTS = 3;

/**
 * Records a delivery and acks it, retrying acks that failed on the transport. The outcome is recorded:
 * `ok`; `unknown` when the transport failed (also when a retry is then refused with
 * `INVALID_RECEIPT_HANDLE`, as the first attempt may have used the handle); `failed` for a refusal.
 */
export async function handleAndAck(
  consumer: SimpleConsumer,
  ledger: AtLeastOnceLedger,
  view: MessageView,
  name = 'consumer',
): Promise<void> {
  const key = ledgerKeyOf(view);
  if (key === undefined) return;
  const copy = copyOf(view);
  ledger.handled(key, { messageId: view.messageId, copy, attempt: view.deliveryAttempt, consumer: name });
  let transportFailed = false;
  for (let attempt = 1; ; attempt++) {
    try {
      await consumer.ack(view);
      ledger.acked(key, 'ok', { copy });
      return;
    } catch (err) {
      const outcome = classifyAckError(err);
      const code = RocketMQError.from(err).code;
      if (outcome === 'unknown') transportFailed = true;
      if (outcome === 'failed' || attempt >= ACK_ATTEMPTS || code === 'CLOSED') {
        ledger.acked(key, transportFailed ? 'unknown' : 'failed', { copy, err });
        return;
      }
    }
  }
}

/** Errors seen by {@link drain} and {@link receiveLoop}, by code (`untyped: …` for a non-RocketMQError). */
export type ErrorTally = Map<string, number>;

/** The tally key of an error: its code, or `untyped: <text>` when it is not a RocketMQError. */
export function tallyCode(err: unknown): string {
  return err instanceof RocketMQError ? err.code : `untyped: ${String(err)}`;
}

/**
 * Receives and acks until `signal` aborts, calling `receive()` directly and retrying after ANY error
 * (tallied by code, 200 ms pause): an application loop that keeps consuming whatever the broker says.
 */
export async function receiveLoop(
  consumer: SimpleConsumer,
  ledger: AtLeastOnceLedger,
  options: { signal: AbortSignal; invisibleDurationMs: number; tally: ErrorTally; name?: string },
): Promise<void> {
  while (!options.signal.aborted) {
    let views: MessageView[];
    try {
      views = await consumer.receive(16, options.invisibleDurationMs, { signal: options.signal });
    } catch (err) {
      if (options.signal.aborted) return;
      const code = tallyCode(err);
      options.tally.set(code, (options.tally.get(code) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    for (const v of views) await handleAndAck(consumer, ledger, v, options.name);
  }
}

/**
 * Receives and acks until `signal` aborts, through the `messages()` iterator (which retries retriable
 * receive errors after its backoff); a non-retriable error ends the loop with it.
 */
export async function consumeLoop(
  consumer: SimpleConsumer,
  ledger: AtLeastOnceLedger,
  options: { signal: AbortSignal; invisibleDurationMs: number; name?: string; maxMessages?: number },
): Promise<void> {
  for await (const view of consumer.messages({
    signal: options.signal,
    invisibleDurationMs: options.invisibleDurationMs,
    maxMessages: options.maxMessages ?? 16,
  })) {
    await handleAndAck(consumer, ledger, view, options.name);
  }
}

/**
 * Receives and acks until every key sent OK is settled, then keeps receiving for a quiet window of
 * `invisibleDurationMs` + 1 s (or `quietMs`) after the last delivery: every message delivered so far,
 * acked or not, has by then outlived its invisible duration, so an ack that was not applied shows up as
 * a redelivery (and a message that comes back after an OK ack as "handled after ack") instead of being
 * left to chance. `timeoutMs` bounds the wait for the ledger to drain; the quiet window comes on top.
 * Throws when the window could not be observed (deliveries kept coming until the deadline). Retriable
 * receive errors are retried; returns their tally.
 */
export async function drain(
  consumer: SimpleConsumer,
  ledger: AtLeastOnceLedger,
  options: { timeoutMs: number; invisibleDurationMs: number; name?: string; quietMs?: number },
): Promise<ErrorTally> {
  const tally: ErrorTally = new Map();
  const quietMs = options.quietMs ?? options.invisibleDurationMs + 1_000;
  const end = performance.now() + options.timeoutMs + quietMs;
  let lastDelivery = performance.now();
  for (;;) {
    const now = performance.now();
    if (ledger.drained && now - lastDelivery >= quietMs) return tally;
    if (now >= end) {
      // Not drained: the ledger reports what is missing. Drained but never quiet: say so.
      if (!ledger.drained) return tally;
      throw new Error(
        `drain ${ledger.name}: deliveries kept coming; no quiet window of ${quietMs} ms was observed`,
      );
    }
    let views: MessageView[];
    try {
      views = await consumer.receive(32, options.invisibleDurationMs);
    } catch (err) {
      const e = RocketMQError.from(err);
      const code = tallyCode(err);
      tally.set(code, (tally.get(code) ?? 0) + 1);
      if (!e.retriable) throw e;
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    if (views.length > 0) lastDelivery = performance.now();
    // The batch's acks go out together: one after the other, 32 round trips can outlast a short
    // invisible duration on a loaded machine, and each late ack would bring its message back.
    await Promise.all(views.map((v) => handleAndAck(consumer, ledger, v, options.name ?? 'drain')));
  }
}
