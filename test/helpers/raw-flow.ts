/**
 * The RocketMQ 5.x message flow spelled out with generated types over {@link RawClient}:
 * settings handshake, heartbeat, send, receive, ack. Shared by the wire-compatibility test and
 * the early demo; the library's own clients replace it.
 */
import { randomBytes } from 'node:crypto';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  AddressScheme,
  ClientType,
  Code,
  Encoding,
  FilterType,
  type Message,
  type MessageQueue,
  MessageType,
  Permission,
} from '../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { MessagingService, type TelemetryCommand } from '../../src/gen/apache/rocketmq/v2/service_pb.js';
import type { RawClient } from './raw-client.js';

const M = MessagingService.method;

export const dur = (ms: number) => ({ seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 });

export function accessPoint(endpoint: string) {
  const i = endpoint.lastIndexOf(':');
  return {
    scheme: AddressScheme.IPv4,
    addresses: [{ host: endpoint.slice(0, i), port: Number(endpoint.slice(i + 1)) }],
  };
}

/** A 34-hex-char id with the V1 version byte (the rest random: enough for the wire tests). */
export function rawMessageId(): string {
  return `01${randomBytes(16).toString('hex')}`.toUpperCase();
}

export class FlowError extends Error {
  constructor(
    step: string,
    readonly code: number | undefined,
    detail?: string,
  ) {
    super(`${step}: status ${code}${detail ? ` (${detail})` : ''}`);
  }
}

function ok(step: string, status: { code: number; message: string } | undefined): void {
  if (status?.code !== Code.OK) throw new FlowError(step, status?.code, status?.message);
}

export async function queryRoute(client: RawClient, topic: string): Promise<MessageQueue[]> {
  const res = await client.unary(M.queryRoute, { topic: { name: topic }, endpoints: accessPoint(client.endpoint) });
  ok('QueryRoute', res.status);
  return res.messageQueues;
}

export type Role = { kind: 'producer'; topics: string[] } | { kind: 'simple-consumer'; group: string; topic: string };

/** Opens Telemetry, sends Settings first, waits for the server's Settings, then heartbeats. */
export async function handshake(client: RawClient, role: Role) {
  const tel = client.bidi(M.telemetry);
  const pubSub =
    role.kind === 'producer'
      ? {
          case: 'publishing' as const,
          value: { topics: role.topics.map((name) => ({ name })), validateMessageType: true },
        }
      : {
          case: 'subscription' as const,
          value: {
            group: { name: role.group },
            subscriptions: [{ topic: { name: role.topic }, expression: { type: FilterType.TAG, expression: '*' } }],
            longPollingTimeout: dur(5000),
          },
        };
  const clientType = role.kind === 'producer' ? ClientType.PRODUCER : ClientType.SIMPLE_CONSUMER;
  tel.write({
    command: {
      case: 'settings',
      value: {
        clientType,
        accessPoint: accessPoint(client.endpoint),
        requestTimeout: dur(3000),
        pubSub,
        userAgent: { version: '0.1.0', platform: process.platform, hostname: 'rocketmq-ts' },
      },
    },
  });
  let settings: TelemetryCommand;
  try {
    settings = await tel.next(15_000);
    ok('Telemetry settings', settings.status);
  } catch (e) {
    tel.close();
    throw e;
  }
  const hb = await client.unary(M.heartbeat, {
    clientType,
    ...(role.kind === 'simple-consumer' ? { group: { name: role.group } } : {}),
  });
  ok('Heartbeat', hb.status);
  return { telemetry: tel, settings };
}

export interface RawSend {
  topic: string;
  body: Uint8Array;
  tag?: string;
  keys?: string[];
  properties?: Record<string, string>;
  id?: string;
}

export async function sendOne(client: RawClient, m: RawSend): Promise<string> {
  const id = m.id ?? rawMessageId();
  const res = await client.unary(M.sendMessage, {
    messages: [
      {
        topic: { name: m.topic },
        body: m.body,
        userProperties: m.properties ?? {},
        systemProperties: {
          ...(m.tag ? { tag: m.tag } : {}),
          keys: m.keys ?? [],
          messageId: id,
          messageType: MessageType.NORMAL,
          bornTimestamp: timestampFromDate(new Date()),
          bornHost: 'rocketmq-ts',
          bodyEncoding: Encoding.IDENTITY,
        },
      },
    ],
  });
  ok('SendMessage', res.status);
  if (res.entries.length !== 1 || res.entries[0]?.messageId !== id) {
    throw new FlowError('SendMessage', res.entries[0]?.status?.code, 'unexpected entries');
  }
  return id;
}

/** One ReceiveMessage call: every status code seen and the messages delivered. */
export async function receiveOnce(
  client: RawClient,
  group: string,
  queue: MessageQueue,
  invisibleMs: number,
  pollMs: number,
): Promise<{ statuses: number[]; messages: Message[] }> {
  const frames = await client.serverStream(
    M.receiveMessage,
    {
      group: { name: group },
      messageQueue: queue,
      filterExpression: { type: FilterType.TAG, expression: '*' },
      batchSize: 32,
      invisibleDuration: dur(invisibleMs),
      autoRenew: false,
      longPollingTimeout: dur(pollMs),
    },
    pollMs + 5000,
  );
  return {
    statuses: frames.flatMap((f) => (f.content.case === 'status' ? [f.content.value.code] : [])),
    messages: frames.flatMap((f) => (f.content.case === 'message' ? [f.content.value] : [])),
  };
}

export async function ackOne(client: RawClient, group: string, topic: string, m: Message): Promise<void> {
  const res = await client.unary(M.ackMessage, {
    group: { name: group },
    topic: { name: topic },
    entries: [{ messageId: m.systemProperties?.messageId ?? '', receiptHandle: m.systemProperties?.receiptHandle ?? '' }],
  });
  ok('AckMessage', res.status);
  ok('AckMessage entry', res.entries[0]?.status);
}

export function writableQueue(queues: MessageQueue[]): MessageQueue {
  const q = queues.find((x) => x.permission === Permission.READ_WRITE) ?? queues[0];
  if (!q) throw new FlowError('QueryRoute', undefined, 'no queue');
  return q;
}
