/**
 * What a successful send returns.
 *
 * @packageDocumentation
 */

/** The queue a message was stored in. */
export interface QueueRef {
  /** Topic name, without namespace. */
  readonly topic: string;
  /** Name of the broker that holds the queue. */
  readonly brokerName: string;
  /** Id of the queue within the broker. */
  readonly queueId: number;
}

/**
 * The result of a successful send.
 *
 * @example
 * ```ts
 * const receipt = await producer.send({ topic: 'orders', body: 'hi' });
 * const { messageId, offset } = receipt; // and receipt.queue.brokerName
 * ```
 */
export interface SendReceipt {
  /** The message's id (the one the client generated). */
  readonly messageId: string;
  /** For transactional (half) messages: the id to commit or roll back with. */
  readonly transactionId?: string;
  /** For DELAY messages on servers ≥ 5.3.2: the handle to recall the message before delivery. */
  readonly recallHandle?: string;
  /** Offset of the message in its queue. */
  readonly offset: bigint;
  /** The queue the client chose. The proxy may store the message in another queue of the same broker. */
  readonly queue: QueueRef;
  /** Key of the endpoints that accepted the send (a transaction must be ended there). */
  readonly endpoint: string;
}

/** Fields of {@link createSendReceipt}; empty strings mean "absent". */
export interface SendReceiptInit {
  messageId: string;
  transactionId?: string | undefined;
  recallHandle?: string | undefined;
  offset: bigint | number;
  queue: QueueRef;
  endpoint: string;
}

/** Builds a frozen {@link SendReceipt}, dropping empty `transactionId` / `recallHandle`. */
export function createSendReceipt(init: SendReceiptInit): SendReceipt {
  return Object.freeze({
    messageId: init.messageId,
    ...(init.transactionId ? { transactionId: init.transactionId } : {}),
    ...(init.recallHandle ? { recallHandle: init.recallHandle } : {}),
    offset: BigInt(init.offset),
    queue: Object.freeze({
      topic: init.queue.topic,
      brokerName: init.queue.brokerName,
      queueId: init.queue.queueId,
    }),
    endpoint: init.endpoint,
  });
}
