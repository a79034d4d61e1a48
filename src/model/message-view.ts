/**
 * A received message, as handed to consumers.
 *
 * @packageDocumentation
 */

import { type InspectOptionsStylized, inspect } from 'node:util';
import type { MessageType } from './message.js';

/** Origin of a message read from a dead-letter queue. */
export interface DeadLetterOrigin {
  /** The topic the message was first sent to. */
  readonly topic: string;
  /** The message's original id. */
  readonly messageId: string;
}

/** Fields of a {@link MessageView}; what the decoder (or a test) provides. */
export interface MessageViewInit {
  messageId: string;
  topic: string;
  tag?: string | undefined;
  keys?: readonly string[] | undefined;
  messageGroup?: string | undefined;
  liteTopic?: string | undefined;
  priority?: number | undefined;
  messageType?: MessageType | undefined;
  properties?: Readonly<Record<string, string>> | undefined;
  body: Buffer;
  deliveryAttempt?: number | undefined;
  bornTimestamp?: Date | undefined;
  bornHost?: string | undefined;
  storeTimestamp?: Date | undefined;
  storeHost?: string | undefined;
  deliveryTimestamp?: Date | undefined;
  queueId?: number | undefined;
  queueOffset?: bigint | undefined;
  traceContext?: string | undefined;
  deadLetterQueue?: DeadLetterOrigin | undefined;
  receiptHandle?: string | undefined;
  endpoint: string;
  corrupted?: boolean | undefined;
  decodeError?: string | undefined;
}

/** Bytes of the body shown by `util.inspect` before it is cut. */
const INSPECT_BODY_BYTES = 48;

/**
 * A received message. Instances are frozen.
 *
 * `util.inspect` (and so `console.log`) shows the body shortened to its first 48 bytes; `toJSON` gives a
 * plain object with the body in base64 and `queueOffset` as a decimal string.
 */
export class MessageView {
  /** Id given by the producer (34 hex characters for V1 ids). */
  readonly messageId: string;
  /** Topic name, without namespace. */
  readonly topic: string;
  /** The message tag, when it has one. */
  declare readonly tag?: string;
  /** The message keys (empty when none). */
  readonly keys: readonly string[];
  /** FIFO group, for FIFO messages. */
  declare readonly messageGroup?: string;
  /** Lite topic, for LITE messages. */
  declare readonly liteTopic?: string;
  /** Priority, for PRIORITY messages. */
  declare readonly priority?: number;
  /** The type the server derived, when it said. */
  declare readonly messageType?: MessageType;
  /** User properties. */
  readonly properties: Readonly<Record<string, string>>;
  /**
   * The payload, decompressed when the server marked it compressed. For a {@link corrupted} message, the
   * bytes exactly as received.
   */
  readonly body: Buffer;
  /** 1 on the first delivery, then incremented by every redelivery. */
  readonly deliveryAttempt: number;
  /** When the producer created the message (epoch 0 if the server did not say). */
  readonly bornTimestamp: Date;
  /** The producer's host, as it reported it. */
  readonly bornHost: string;
  /** When the broker stored the message. */
  declare readonly storeTimestamp?: Date;
  /** The storing broker's address. */
  declare readonly storeHost?: string;
  /** Scheduled delivery time, for DELAY messages. */
  declare readonly deliveryTimestamp?: Date;
  /** Id of the queue the message was received from. */
  readonly queueId: number;
  /** Offset of the message in its queue, when the server sent it. */
  declare readonly queueOffset?: bigint;
  /** W3C trace context propagated by the producer, if any. */
  declare readonly traceContext?: string;
  /** Set on messages consumed from a dead-letter queue. */
  declare readonly deadLetterQueue?: DeadLetterOrigin;
  /**
   * Handle for ack / change-invisible-duration of this delivery. Opaque; changes when the invisible
   * duration is changed.
   */
  readonly receiptHandle: string;
  /** Key of the endpoints the message was received from; its ack must go there. */
  readonly endpoint: string;
  /**
   * True when the body failed its digest check or could not be decompressed; {@link decodeError} says
   * why. Push consumers nack such messages instead of calling the handler.
   */
  readonly corrupted: boolean;
  /** Why the message is corrupted. */
  declare readonly decodeError?: string;

  constructor(init: MessageViewInit) {
    this.messageId = init.messageId;
    this.topic = init.topic;
    if (init.tag !== undefined) this.tag = init.tag;
    this.keys = Object.freeze([...(init.keys ?? [])]);
    if (init.messageGroup !== undefined) this.messageGroup = init.messageGroup;
    if (init.liteTopic !== undefined) this.liteTopic = init.liteTopic;
    if (init.priority !== undefined) this.priority = init.priority;
    if (init.messageType !== undefined) this.messageType = init.messageType;
    this.properties = Object.freeze({ ...(init.properties ?? {}) });
    this.body = init.body;
    this.deliveryAttempt = init.deliveryAttempt ?? 1;
    this.bornTimestamp = init.bornTimestamp ?? new Date(0);
    this.bornHost = init.bornHost ?? '';
    if (init.storeTimestamp !== undefined) this.storeTimestamp = init.storeTimestamp;
    if (init.storeHost !== undefined) this.storeHost = init.storeHost;
    if (init.deliveryTimestamp !== undefined) this.deliveryTimestamp = init.deliveryTimestamp;
    this.queueId = init.queueId ?? 0;
    if (init.queueOffset !== undefined) this.queueOffset = init.queueOffset;
    if (init.traceContext !== undefined) this.traceContext = init.traceContext;
    if (init.deadLetterQueue !== undefined) this.deadLetterQueue = Object.freeze({ ...init.deadLetterQueue });
    this.receiptHandle = init.receiptHandle ?? '';
    this.endpoint = init.endpoint;
    this.corrupted = init.corrupted ?? false;
    if (init.decodeError !== undefined) this.decodeError = init.decodeError;
    Object.freeze(this);
  }

  /** Plain-object form: body in base64, `queueOffset` as a decimal string, dates as ISO strings. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) {
      if (k === 'body') out[k] = (v as Buffer).toString('base64');
      else if (typeof v === 'bigint') out[k] = v.toString();
      else out[k] = v;
    }
    return out;
  }

  /** `util.inspect` form: every field, with the body cut to its first bytes. */
  [inspect.custom](depth: number, options: InspectOptionsStylized, inspectFn: typeof inspect): string {
    if (depth < 0) return options.stylize('[MessageView]', 'special');
    const fields: Record<string, unknown> = { ...(this as object) };
    fields.body = new BodyPreview(this.body);
    const nested = { ...options, depth: options.depth === null ? null : (options.depth ?? 2) - 1 };
    return `MessageView ${inspectFn(fields, nested)}`;
  }
}

/** Stand-in for the body in `util.inspect` output. */
class BodyPreview {
  readonly #body: Buffer;
  constructor(body: Buffer) {
    this.#body = body;
  }
  [inspect.custom](): string {
    const shown = this.#body
      .subarray(0, INSPECT_BODY_BYTES)
      .toString('hex')
      .replace(/(..)(?!$)/g, '$1 ');
    const rest = this.#body.length - INSPECT_BODY_BYTES;
    return `<Buffer ${this.#body.length} bytes: ${shown}${rest > 0 ? ` ... ${rest} more bytes` : ''}>`;
  }
}
