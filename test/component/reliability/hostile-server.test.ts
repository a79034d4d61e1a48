/**
 * B6, hostile servers on the wire: a live gRPC server (`test/helpers/hostile-server.ts`) that answers
 * with enum values this version does not know, a 1000-message receive reply and an unknown status code;
 * a gRPC answer whose payload is not protobuf; a non-gRPC HTTP/2 server, a wrong content-type and a
 * TCP server that answers with random bytes. Each gives a typed `RocketMQError` or a message marked
 * corrupted, within a bound, with no unhandled rejection, and the client goes on working.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { describe, type TestContext, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import type * as grpc from '@grpc/grpc-js';
import { RocketMQError } from '../../../src/errors.js';
import {
  type AddressScheme,
  type DigestType,
  Encoding,
  type Message,
  MessageType,
  type Permission,
} from '../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import {
  AckMessageResponseSchema,
  QueryRouteResponseSchema,
  ReceiveMessageResponseSchema,
  SendMessageResponseSchema,
} from '../../../src/gen/apache/rocketmq/v2/service_pb.js';
import { type HostileServer, OK, startHostileServer } from '../../helpers/hostile-server.js';
import { consumerFor, producerFor, watchUnhandled } from './setup.js';

async function hostile(t: TestContext): Promise<HostileServer> {
  const server = await startHostileServer();
  t.after(() => server.close());
  return server;
}

async function failure(p: Promise<unknown>): Promise<RocketMQError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RocketMQError, `expected a RocketMQError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a failure');
}

function wireMessage(i: number, overrides: Partial<Message['systemProperties']> = {}): Message {
  return {
    topic: { name: 'T', resourceNamespace: '' },
    userProperties: {},
    systemProperties: {
      messageId: `01HOSTILE${String(i).padStart(8, '0')}`,
      keys: [],
      bodyEncoding: Encoding.IDENTITY,
      messageType: MessageType.NORMAL,
      bornTimestamp: { seconds: 1n, nanos: 0 },
      bornHost: 'h',
      queueId: 0,
      queueOffset: BigInt(i),
      receiptHandle: `rh-${i}`,
      deliveryAttempt: 1,
      ...overrides,
    },
    body: Buffer.from(`m${i}`),
  } as unknown as Message;
}

/** A ReceiveMessage handler that answers OK with `messages` then ends the stream. */
function receiveReply(messages: Message[]) {
  return (call: grpc.ServerWritableStream<unknown, unknown>) => {
    call.write(create(ReceiveMessageResponseSchema, { content: { case: 'status', value: OK } }));
    for (const m of messages) {
      call.write(create(ReceiveMessageResponseSchema, { content: { case: 'message', value: m } }));
    }
    call.end();
  };
}

describe('B6 hostile gRPC server', () => {
  test('unknown enum values in a route (permission, message type, address scheme): typed failures, no crash', async (t) => {
    const unhandled = watchUnhandled(t);
    const server = await hostile(t);
    server.handlers.queryRoute = (call, cb) => {
      const topic = call.request.topic?.name ?? '';
      const queues =
        topic === 'bad-scheme'
          ? [
              server.queue(topic, {
                broker: {
                  name: 'b',
                  id: 0,
                  endpoints: {
                    scheme: 99 as AddressScheme,
                    addresses: [{ host: '127.0.0.1', port: server.port }],
                  },
                } as never,
              }),
            ]
          : [server.queue(topic, { permission: 99 as Permission, acceptMessageTypes: [99 as MessageType] })];
      cb?.(null, create(QueryRouteResponseSchema, { status: OK, messageQueues: queues }));
    };
    server.handlers.sendMessage = (_call, cb) =>
      cb?.(
        null,
        create(SendMessageResponseSchema, { status: OK, entries: [{ status: OK, messageId: 'x' }] }),
      );
    const p = producerFor(t, server.endpoint);
    await p.start();
    const unknownPermission = await failure(p.send({ topic: 'bad-permission', body: 'x' }));
    assert.equal(unknownPermission.code, 'FORBIDDEN', unknownPermission.message);
    assert.equal(server.calls.get('sendMessage') ?? 0, 0, 'no send went to a queue of unknown permission');
    // An unknown address scheme is inferred from the host, as for an unspecified one.
    assert.ok((await p.send({ topic: 'bad-scheme', body: 'x' })).messageId);
    assert.equal(server.calls.get('sendMessage'), 1);
    assert.deepEqual(unhandled, []);
  });

  test('unknown status codes (top level and per entry) → UNKNOWN_BROKER_CODE, not retried; the producer goes on', async (t) => {
    const unhandled = watchUnhandled(t);
    const server = await hostile(t);
    let answer: 'top' | 'entry' | 'ok' = 'top';
    server.handlers.sendMessage = (_call, cb) => {
      const unknown = { code: 45_678, message: 'from the future' };
      cb?.(
        null,
        create(SendMessageResponseSchema, {
          status: answer === 'top' ? unknown : OK,
          entries: [{ status: answer === 'entry' ? unknown : OK, messageId: '01OK' }],
        }),
      );
    };
    const p = producerFor(t, server.endpoint, { topics: ['T'] });
    await p.start();
    const top = await failure(p.send({ topic: 'T', body: 'x' }));
    assert.equal(top.code, 'UNKNOWN_BROKER_CODE');
    assert.equal(top.brokerCode, 45_678);
    assert.equal(server.calls.get('sendMessage'), 1, 'an unknown code is not retried');
    answer = 'entry';
    const entry = await failure(p.send({ topic: 'T', body: 'x' }));
    assert.equal(entry.code, 'UNKNOWN_BROKER_CODE');
    answer = 'ok';
    assert.ok((await p.send({ topic: 'T', body: 'x' })).messageId);
    assert.deepEqual(unhandled, []);
  });

  test('received messages with unknown message type, body encoding and digest type: delivered, the unreadable body marked corrupted', async (t) => {
    const unhandled = watchUnhandled(t);
    const server = await hostile(t);
    server.handlers.receiveMessage = receiveReply([
      wireMessage(1, { messageType: 99 as MessageType }),
      wireMessage(2, { bodyEncoding: 99 as Encoding }),
      wireMessage(3, { bodyDigest: { type: 99 as DigestType, checksum: 'zz' } as never }),
    ]);
    server.handlers.ackMessage = (call, cb) =>
      cb?.(
        null,
        create(AckMessageResponseSchema, {
          status: OK,
          entries: call.request.entries.map((e: { messageId: string; receiptHandle: string }) => ({
            status: OK,
            messageId: e.messageId,
            receiptHandle: e.receiptHandle,
          })),
        }),
      );
    const c = consumerFor(t, server.endpoint, 'G', 'T');
    await c.start();
    const views = await c.receive(32, 10_000);
    assert.equal(views.length, 3);
    const [type99, encoding99, digest99] = views;
    assert.equal(type99?.messageType, undefined, 'an unknown message type is left out');
    assert.equal(type99?.corrupted, false);
    assert.equal(encoding99?.corrupted, true, 'a body in an unknown encoding cannot be read');
    assert.match(encoding99?.decodeError ?? '', /encoding/);
    assert.equal(
      digest99?.corrupted,
      false,
      'an unknown digest type cannot be checked, so it is not a mismatch',
    );
    for (const v of views) await c.ack(v);
    assert.deepEqual(unhandled, []);
  });

  test('1000 messages in one receive reply (32 asked): every one delivered once, each ackable; the consumer goes on', async (t) => {
    const unhandled = watchUnhandled(t);
    const server = await hostile(t);
    const batch = Array.from({ length: 1_000 }, (_, i) => wireMessage(i));
    let replies = 0;
    server.handlers.receiveMessage = (call: grpc.ServerWritableStream<unknown, unknown>) => {
      replies += 1;
      receiveReply(replies === 1 ? batch : [wireMessage(5_000)])(call);
    };
    const acked = new Set<string>();
    server.handlers.ackMessage = (call, cb) => {
      for (const e of call.request.entries) acked.add(e.receiptHandle);
      cb?.(
        null,
        create(AckMessageResponseSchema, {
          status: OK,
          entries: call.request.entries.map((e: { messageId: string; receiptHandle: string }) => ({
            status: OK,
            messageId: e.messageId,
            receiptHandle: e.receiptHandle,
          })),
        }),
      );
    };
    const c = consumerFor(t, server.endpoint, 'G', 'T', { requestTimeoutMs: 3_000 });
    await c.start();
    const heapBefore = process.memoryUsage().heapUsed;
    const views = await c.receive(32, 10_000);
    assert.equal(views.length, 1_000);
    assert.equal(new Set(views.map((v) => v.messageId)).size, 1_000);
    assert.ok(views.every((v) => !v.corrupted && v.body.toString() === `m${v.queueOffset}`));
    const results = await c.ackAll(views);
    assert.deepEqual(
      results.filter((r) => r.error !== undefined),
      [],
      'every ack accepted',
    );
    assert.equal(acked.size, 1_000);
    const next = await c.receive(32, 10_000);
    assert.deepEqual(
      next.map((v) => v.receiptHandle),
      ['rh-5000'],
    );
    const growthMiB = (process.memoryUsage().heapUsed - heapBefore) / 1_048_576;
    assert.ok(growthMiB < 64, `heap grew ${growthMiB.toFixed(1)} MiB for 1000 small messages`);
    assert.deepEqual(unhandled, []);
  });

  test('an answer whose payload is not protobuf → typed (INTERNAL) failure of that call; the next call works', async (t) => {
    const unhandled = watchUnhandled(t);
    const server = await hostile(t);
    let garbage = true;
    server.handlers.sendMessage = (_call, cb) =>
      cb?.(
        null,
        garbage
          ? Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x0a, 0x99, 0x01, 0x02])
          : create(SendMessageResponseSchema, { status: OK, entries: [{ status: OK, messageId: '01OK' }] }),
      );
    const p = producerFor(t, server.endpoint, { topics: ['T'], maxAttempts: 1 });
    await p.start();
    const e = await failure(p.send({ topic: 'T', body: 'x' }));
    assert.equal(e.code, 'INTERNAL', e.message);
    garbage = false;
    assert.ok((await p.send({ topic: 'T', body: 'x' })).messageId);
    assert.deepEqual(unhandled, []);
  });
});

describe('B6 servers that do not speak gRPC', () => {
  const bounded = { requestTimeoutMs: 1_000, core: { startupSettingsTimeoutMs: 2_000 } };

  async function h2Server(
    t: TestContext,
    respond: (stream: http2.ServerHttp2Stream) => void,
  ): Promise<{ endpoint: string; streams: () => number }> {
    const server = http2.createServer();
    let streams = 0;
    server.on('stream', (stream) => {
      streams += 1;
      stream.on('error', () => {});
      respond(stream);
    });
    server.on('session', (s) => s.on('error', () => {}));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => server.close(() => r())));
    t.after(() => {
      // close() waits for sessions: end them.
      for (const s of sessions) s.destroy();
    });
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on('session', (s) => sessions.add(s));
    return { endpoint: `127.0.0.1:${(server.address() as net.AddressInfo).port}`, streams: () => streams };
  }

  test('a plain HTTP/2 web server (404 text/html): start fails typed within its bound, no storm', async (t) => {
    const unhandled = watchUnhandled(t);
    const web = await h2Server(t, (s) => {
      s.respond({ ':status': 404, 'content-type': 'text/html' });
      s.end('<html>not here</html>');
    });
    const p = producerFor(t, web.endpoint, bounded);
    const started = performance.now();
    const e = await failure(p.start());
    // grpc-js maps HTTP 404 to UNIMPLEMENTED: not retriable, so start fails on the first answer.
    assert.equal(e.code, 'NOT_IMPLEMENTED', e.message);
    assert.equal(e.retriable, false);
    assert.ok(performance.now() - started < 2_000, 'before the settings bound');
    assert.ok(web.streams() <= 2, `${web.streams()} requests`);
    assert.deepEqual(unhandled, []);
  });

  test('a 200 answer with a wrong content-type (application/json): typed failure, no crash', async (t) => {
    const unhandled = watchUnhandled(t);
    const web = await h2Server(t, (s) => {
      s.respond({ ':status': 200, 'content-type': 'application/json' });
      s.end('{"status":"ok"}');
    });
    const p = producerFor(t, web.endpoint, bounded);
    const e = await failure(p.start());
    // No grpc-status trailer: each Telemetry attempt ends INTERNAL; start ends at its settings bound.
    assert.equal(e.code, 'SETTINGS_TIMEOUT', e.message);
    assert.ok(e.cause instanceof RocketMQError);
    assert.equal(e.cause.code, 'INTERNAL');
    assert.match(e.cause.message, /without gRPC status/);
    assert.ok(web.streams() >= 1 && web.streams() <= 20, `${web.streams()} requests in 2 s`);
    assert.deepEqual(unhandled, []);
  });

  test('a TCP server answering random bytes: start fails typed within its bound, reconnects back off', async (t) => {
    const unhandled = watchUnhandled(t);
    let connections = 0;
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
      connections += 1;
      sockets.add(s);
      s.on('error', () => {});
      s.write(randomBytes(512));
      s.on('data', () => s.write(randomBytes(256)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    });
    const p = producerFor(t, `127.0.0.1:${(server.address() as net.AddressInfo).port}`, bounded);
    const started = performance.now();
    const e = await failure(p.start());
    assert.ok(performance.now() - started < 2_500);
    assert.equal(e.code, 'SETTINGS_TIMEOUT', e.message);
    assert.ok(e.cause instanceof RocketMQError);
    assert.equal(e.cause.code, 'UNAVAILABLE', 'the garbage is a protocol error of the connection');
    assert.ok(connections >= 1 && connections <= 20, `${connections} connections in 2 s`);
    assert.deepEqual(unhandled, []);
  });
});
