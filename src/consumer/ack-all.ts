/**
 * Acknowledging many messages at once: the views are grouped by the endpoints they came from and by
 * topic, each group goes out as AckMessage requests of up to {@link MAX_ACK_ENTRIES} entries (sent
 * concurrently), and every view gets its own outcome back, in input order.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { MessageView } from '../model/message-view.js';
import type { AckEntryOutcome, ReceiptRef } from '../protocol/consumer-rpc.js';
import type { Endpoints } from '../rpc/endpoints.js';

/** Entries per AckMessage request. */
export const MAX_ACK_ENTRIES = 128;

/** The outcome of one message of {@link SimpleConsumer.ackAll}. */
export interface AckResult {
  readonly message: MessageView;
  /** Absent when the message was acknowledged; otherwise why not (it will be delivered again). */
  readonly error?: RocketMQError | undefined;
}

/** What {@link ackAllGrouped} needs from its consumer. */
export interface AckAllHost {
  endpointsOf(view: MessageView): Endpoints;
  receiptOf(view: MessageView): ReceiptRef;
  /** One AckMessage; rejects for transport failures (no entry settled). */
  ackMany(endpoints: Endpoints, refs: readonly ReceiptRef[]): Promise<AckEntryOutcome[]>;
}

interface Chunk {
  readonly endpoints: Endpoints;
  readonly indexes: number[];
  readonly refs: ReceiptRef[];
}

/**
 * Plans the requests for `views` (throws, before anything is sent, when a view's endpoints are
 * unknown), then sends them. A request that fails as a whole gives its error to each of its messages.
 */
export function ackAllGrouped(host: AckAllHost, views: readonly MessageView[]): Promise<AckResult[]> {
  const chunks = planChunks(host, views);
  const results: AckResult[] = views.map((message) => ({ message }));
  return Promise.all(
    chunks.map((chunk) =>
      host.ackMany(chunk.endpoints, chunk.refs).then(
        (outcomes) => {
          outcomes.forEach((outcome, i) => {
            const index = chunk.indexes[i];
            if (index !== undefined && outcome.error !== undefined) {
              results[index] = { message: views[index] as MessageView, error: outcome.error };
            }
          });
        },
        (err: unknown) => {
          const error = RocketMQError.from(err);
          for (const index of chunk.indexes) {
            results[index] = { message: views[index] as MessageView, error };
          }
        },
      ),
    ),
  ).then(() => results);
}

function planChunks(host: AckAllHost, views: readonly MessageView[]): Chunk[] {
  const open = new Map<string, Chunk>();
  const chunks: Chunk[] = [];
  views.forEach((view, index) => {
    const endpoints = host.endpointsOf(view);
    const key = `${view.endpoint}\u0000${view.topic}`;
    let chunk = open.get(key);
    if (chunk === undefined || chunk.refs.length >= MAX_ACK_ENTRIES) {
      chunk = { endpoints, indexes: [], refs: [] };
      open.set(key, chunk);
      chunks.push(chunk);
    }
    chunk.indexes.push(index);
    chunk.refs.push(host.receiptOf(view));
  });
  return chunks;
}
