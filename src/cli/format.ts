/**
 * Text and JSON renderings of what the commands print: sent receipts, received messages, routes.
 *
 * @packageDocumentation
 */

import type { MessageView, SendReceipt } from '../index.js';
import type { TopicRoute } from '../protocol/route.js';
import { formatAddress } from '../rpc/endpoints.js';

const decoder = new TextDecoder('utf-8', { fatal: true });
// Control characters other than tab, newline and carriage return mark a body as binary.
// biome-ignore lint/suspicious/noControlCharactersInRegex: that is exactly what it matches.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** The body as text when it is printable UTF-8, else `undefined`. */
export function bodyText(body: Uint8Array): string | undefined {
  try {
    const text = decoder.decode(body);
    return CONTROL.test(text) ? undefined : text;
  } catch {
    return undefined;
  }
}

/** One line describing a send receipt. */
export function formatReceipt(r: SendReceipt): string {
  const q = r.queue;
  const offset = ` offset ${String(r.offset)}`;
  const recall = r.recallHandle === undefined ? '' : ` recall-handle ${r.recallHandle}`;
  return `sent ${r.messageId} to ${q.topic} (${q.brokerName} queue ${q.queueId}${offset})${recall}`;
}

/** The JSON form of a send receipt. */
export function receiptJson(r: SendReceipt): Record<string, unknown> {
  return {
    messageId: r.messageId,
    topic: r.queue.topic,
    brokerName: r.queue.brokerName,
    queueId: r.queue.queueId,
    offset: String(r.offset),
    ...(r.transactionId === undefined ? {} : { transactionId: r.transactionId }),
    ...(r.recallHandle === undefined ? {} : { recallHandle: r.recallHandle }),
    endpoint: r.endpoint,
  };
}

/** A received message: a header line, then the body (text, or a note with base64 for binary bodies). */
export function formatMessage(m: MessageView, index: number): string {
  const parts = [`#${index}`, m.messageId, `topic=${m.topic}`];
  if (m.tag !== undefined) parts.push(`tag=${m.tag}`);
  if (m.keys.length > 0) parts.push(`keys=${m.keys.join(',')}`);
  if (m.messageGroup !== undefined) parts.push(`group=${m.messageGroup}`);
  if (m.liteTopic !== undefined) parts.push(`lite=${m.liteTopic}`);
  parts.push(`attempt=${m.deliveryAttempt}`, `born=${m.bornTimestamp.toISOString()}`);
  const props = Object.entries(m.properties);
  if (props.length > 0) parts.push(`properties=${props.map(([k, v]) => `${k}=${v}`).join(',')}`);
  if (m.corrupted) parts.push('CORRUPTED');
  const text = bodyText(m.body);
  const body =
    text === undefined ? `<${m.body.length} bytes, base64: ${Buffer.from(m.body).toString('base64')}>` : text;
  return `${parts.join(' ')}\n${body}\n`;
}

/** The JSON form of a received message (one line of `--json` output). */
export function messageJson(m: MessageView): Record<string, unknown> {
  const text = bodyText(m.body);
  return {
    messageId: m.messageId,
    topic: m.topic,
    ...(m.tag === undefined ? {} : { tag: m.tag }),
    keys: m.keys,
    ...(m.messageGroup === undefined ? {} : { messageGroup: m.messageGroup }),
    ...(m.liteTopic === undefined ? {} : { liteTopic: m.liteTopic }),
    properties: m.properties,
    deliveryAttempt: m.deliveryAttempt,
    bornTimestamp: m.bornTimestamp.toISOString(),
    bornHost: m.bornHost,
    queueId: m.queueId,
    ...(m.queueOffset === undefined ? {} : { queueOffset: String(m.queueOffset) }),
    ...(text === undefined ? { bodyBase64: Buffer.from(m.body).toString('base64') } : { body: text }),
    ...(m.corrupted ? { corrupted: true } : {}),
  };
}

/** The JSON form of a route. */
export function routeJson(route: TopicRoute): Record<string, unknown> {
  return {
    topic: route.topic,
    queues: route.queues.map((q) => ({
      brokerName: q.brokerName,
      brokerId: q.brokerId,
      queueId: q.queueId,
      permission: q.permission,
      endpoints: q.endpoints.addresses.map(formatAddress),
      acceptMessageTypes: q.acceptMessageTypes,
    })),
  };
}

/** A route as a table, one row per queue. */
export function formatRoute(route: TopicRoute): string {
  const brokers = new Set(route.queues.map((q) => q.brokerName));
  const header = ['BROKER', 'ID', 'QUEUE', 'PERMISSION', 'ENDPOINTS', 'MESSAGE TYPES'];
  const rows = route.queues.map((q) => [
    q.brokerName,
    String(q.brokerId),
    String(q.queueId),
    q.permission,
    q.endpoints.addresses.map(formatAddress).join(','),
    q.acceptMessageTypes.join(','),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const title = `topic ${route.topic}: ${route.queues.length} queue${route.queues.length === 1 ? '' : 's'} on ${brokers.size} broker${brokers.size === 1 ? '' : 's'}`;
  return `${[title, line(header), ...rows.map(line)].join('\n')}\n`;
}
