import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { RocketMQError } from '../../../src/errors.js';
import { Code } from '../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import {
  HeartbeatResponseSchema,
  MessagingService,
  QueryRouteResponseSchema,
  type ReceiveMessageRequest,
  ReceiveMessageResponseSchema,
  type TelemetryCommand,
  TelemetryCommandSchema,
} from '../../../src/gen/apache/rocketmq/v2/service_pb.js';
import { ManualClock } from '../../../src/internal/clock.js';
import { staticCredentials } from '../../../src/rpc/auth/credentials.js';
import { methodPath, RpcClient } from '../../../src/rpc/call.js';
import { ChannelPool, type GrpcClientLike } from '../../../src/rpc/channel-pool.js';
import { parseEndpoints } from '../../../src/rpc/endpoints.js';
import { type LoopbackServer, startLoopbackServer } from './loopback-server.js';

const M = MessagingService.method;

/** An AbortSignal that counts its abort listeners. */
function countingSignal(): { controller: AbortController; signal: AbortSignal; listeners: () => number } {
  const controller = new AbortController();
  const signal = controller.signal;
  let count = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    if (args[0] === 'abort') count++;
    add(...args);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    if (args[0] === 'abort') count--;
    remove(...args);
  }) as typeof signal.removeEventListener;
  return { controller, signal, listeners: () => count };
}

test('methodPath uses the descriptor', () => {
  assert.equal(methodPath(M.sendMessage), '/apache.rocketmq.v2.MessagingService/SendMessage');
  assert.equal(methodPath(M.telemetry), '/apache.rocketmq.v2.MessagingService/Telemetry');
});

describe('RpcClient over a loopback server', () => {
  let server: LoopbackServer;
  let pool: ChannelPool;
  let rpc: RpcClient;
  let endpoints: ReturnType<typeof parseEndpoints>;
  const clock = new ManualClock(Date.UTC(2024, 0, 2, 3, 4, 5));
  let credentialCalls = 0;

  before(async () => {
    server = await startLoopbackServer();
    endpoints = parseEndpoints(server.endpoint);
    pool = new ChannelPool();
    const creds = staticCredentials('myAccessKey', 'mySecretKey');
    rpc = new RpcClient({
      pool,
      clientId: 'host@1@0@abc',
      namespace: 'ns1',
      credentials: () => {
        credentialCalls++;
        return creds();
      },
      clock,
    });
  });

  after(async () => {
    pool.close();
    await server.close();
  });

  test('unary without credentials: every call has all headers, its own request id and the current date-time', async () => {
    server.handlers = {
      heartbeat: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb(null, create(HeartbeatResponseSchema, { status: { code: Code.OK, message: 'OK' } })),
    };
    const anonClock = new ManualClock(Date.UTC(2025, 5, 6, 7, 8, 9));
    const anon = new RpcClient({ pool, clientId: 'host@2@0@def', namespace: 'ns2', clock: anonClock });
    const before = server.calls.length;
    const r1 = await anon.unary(endpoints, M.heartbeat, {});
    anonClock.advance(61_000);
    const r2 = await anon.unary(endpoints, M.heartbeat, {});
    const [c1, c2] = server.calls.slice(before);
    for (const [call, r] of [
      [c1!, r1],
      [c2!, r2],
    ] as const) {
      const md = call.metadata;
      assert.equal(md.get('x-mq-request-id')[0], r.requestId);
      assert.equal(md.get('x-mq-client-id')[0], 'host@2@0@def');
      assert.equal(md.get('x-mq-namespace')[0], 'ns2');
      assert.equal(md.get('x-mq-protocol')[0], 'v2');
      assert.equal(md.get('x-mq-language')[0], 'NODE_JS');
      assert.equal(md.get('x-mq-request-id').length, 1);
      assert.deepEqual(md.get('authorization'), []);
    }
    assert.notEqual(r1.requestId, r2.requestId);
    assert.equal(c1!.metadata.get('x-mq-date-time')[0], '20250606T070809Z');
    assert.equal(c2!.metadata.get('x-mq-date-time')[0], '20250606T070910Z');
  });

  test('unary: response, request id, and fresh signed headers per call', async () => {
    server.handlers = {
      heartbeat: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb(null, create(HeartbeatResponseSchema, { status: { code: Code.OK, message: 'OK' } })),
    };
    const before = server.calls.length;
    const creds0 = credentialCalls;
    const r1 = await rpc.unary(endpoints, M.heartbeat, {});
    const r2 = await rpc.unary(endpoints, M.heartbeat, {});
    assert.equal(r1.response.status?.code, Code.OK);
    assert.notEqual(r1.requestId, r2.requestId);
    assert.equal(credentialCalls - creds0, 2, 'credentials resolved per call');
    const [c1, c2] = server.calls.slice(before);
    const md = c1!.metadata;
    assert.equal(md.get('x-mq-request-id')[0], r1.requestId);
    assert.equal(c2!.metadata.get('x-mq-request-id')[0], r2.requestId);
    assert.equal(md.get('x-mq-client-id')[0], 'host@1@0@abc');
    assert.equal(md.get('x-mq-namespace')[0], 'ns1');
    assert.equal(md.get('x-mq-protocol')[0], 'v2');
    assert.equal(md.get('x-mq-language')[0], 'NODE_JS');
    assert.equal(md.get('x-mq-date-time')[0], '20240102T030405Z');
    const expected = createHmac('sha1', 'mySecretKey').update('20240102T030405Z').digest('hex').toUpperCase();
    assert.equal(
      md.get('authorization')[0],
      `MQv2-HMAC-SHA1 Credential=myAccessKey, SignedHeaders=x-mq-date-time, Signature=${expected}`,
    );
    assert.equal(pool.activeCalls(endpoints), 0, 'lease released');
  });

  test('invoke: a non-OK broker status becomes a RocketMQError with the request id', async () => {
    server.handlers = {
      queryRoute: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb(
          null,
          create(QueryRouteResponseSchema, { status: { code: Code.TOPIC_NOT_FOUND, message: 'no topic' } }),
        ),
    };
    const err = await rpc.invoke(endpoints, M.queryRoute, { topic: { name: 't' } }).then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RocketMQError);
    assert.equal(err.code, 'TOPIC_NOT_FOUND');
    assert.equal(err.brokerCode, 40402);
    assert.equal(err.message, 'no topic');
    const last = server.calls.at(-1)!;
    assert.equal(err.requestId, last.metadata.get('x-mq-request-id')[0]);
  });

  test('deadline → TIMEOUT with the request id', async () => {
    server.handlers = { heartbeat: () => {} }; // never answers
    const err = await rpc.unary(endpoints, M.heartbeat, {}, { timeoutMs: 50 }).then(
      () => assert.fail('expected a timeout'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RocketMQError);
    assert.equal(err.code, 'TIMEOUT');
    assert.equal(err.grpcCode, grpc.status.DEADLINE_EXCEEDED);
    assert.equal(typeof err.requestId, 'string');
    assert.equal(pool.activeCalls(endpoints), 0);
  });

  test('abort → ABORTED, call cancelled, abort listener removed', async () => {
    let cancelled = false;
    server.handlers = {
      heartbeat: (call: grpc.ServerUnaryCall<unknown, unknown>) => {
        call.on('cancelled', () => {
          cancelled = true;
        });
      },
    };
    const { controller, signal, listeners } = countingSignal();
    const pending = rpc.unary(endpoints, M.heartbeat, {}, { signal, timeoutMs: 10_000 });
    // Wait for the call to reach the server before aborting.
    while (server.calls.at(-1)?.method !== 'heartbeat' || listeners() === 0) {
      await new Promise((r) => setImmediate(r));
    }
    controller.abort();
    const err = await pending.then(
      () => assert.fail('expected abort'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RocketMQError);
    assert.equal(err.code, 'ABORTED');
    assert.equal(typeof err.requestId, 'string');
    assert.equal(listeners(), 0, 'listener removed');
    for (let i = 0; i < 50 && !cancelled; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(cancelled, true, 'server saw the cancellation');
  });

  test('listener removed after a successful call too', async () => {
    server.handlers = {
      heartbeat: (_c: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb(null, create(HeartbeatResponseSchema, { status: { code: Code.OK, message: 'OK' } })),
    };
    const { signal, listeners } = countingSignal();
    await rpc.unary(endpoints, M.heartbeat, {}, { signal });
    assert.equal(listeners(), 0);
  });

  test('an already aborted signal fails fast without a call; a TimeoutError reason maps to TIMEOUT', async () => {
    const before = server.calls.length;
    const aborted = AbortSignal.abort();
    await assert.rejects(rpc.unary(endpoints, M.heartbeat, {}, { signal: aborted }), { code: 'ABORTED' });
    const timedOut = AbortSignal.abort(new DOMException('late', 'TimeoutError'));
    await assert.rejects(rpc.unary(endpoints, M.heartbeat, {}, { signal: timedOut }), { code: 'TIMEOUT' });
    assert.equal(server.calls.length, before);
  });

  test('UNAVAILABLE from the server is mapped and retriable', async () => {
    server.handlers = {
      heartbeat: (_c: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb({ code: grpc.status.UNAVAILABLE, details: 'going away' }, null),
    };
    await assert.rejects(rpc.unary(endpoints, M.heartbeat, {}), (e: unknown) => {
      assert.ok(e instanceof RocketMQError);
      assert.equal(e.code, 'UNAVAILABLE');
      assert.equal(e.retriable, true);
      assert.match(e.message, /going away/);
      return true;
    });
  });

  test('server stream: yields every frame, then ends', async () => {
    let request: ReceiveMessageRequest | undefined;
    server.handlers = {
      receiveMessage: (call: grpc.ServerWritableStream<ReceiveMessageRequest, unknown>) => {
        request = call.request;
        call.write(
          create(ReceiveMessageResponseSchema, { content: { case: 'status', value: { code: Code.OK } } }),
        );
        call.write(
          create(ReceiveMessageResponseSchema, {
            content: { case: 'message', value: { body: new Uint8Array([1, 2, 3]) } },
          }),
        );
        call.end();
      },
    };
    const stream = await rpc.serverStream(
      endpoints,
      M.receiveMessage,
      { batchSize: 7 },
      { timeoutMs: 5_000 },
    );
    const frames = [];
    for await (const f of stream) frames.push(f);
    assert.equal(request?.batchSize, 7);
    assert.equal(frames.length, 2);
    assert.equal(frames[0]!.content.case, 'status');
    assert.deepEqual(
      frames[1]!.content.case === 'message' ? [...frames[1]!.content.value.body] : [],
      [1, 2, 3],
    );
    assert.equal(pool.activeCalls(endpoints), 0);
  });

  test('server stream: leaving the loop cancels the call; abort maps to ABORTED', async () => {
    let cancelled = 0;
    server.handlers = {
      receiveMessage: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        call.on('cancelled', () => cancelled++);
        call.write(
          create(ReceiveMessageResponseSchema, { content: { case: 'status', value: { code: Code.OK } } }),
        );
      },
    };
    const s1 = await rpc.serverStream(endpoints, M.receiveMessage, {}, { timeoutMs: 5_000 });
    for await (const _ of s1) break;
    const controller = new AbortController();
    const s2 = await rpc.serverStream(
      endpoints,
      M.receiveMessage,
      {},
      { signal: controller.signal, timeoutMs: 5_000 },
    );
    await assert.rejects(
      (async () => {
        for await (const _ of s2) controller.abort();
      })(),
      { code: 'ABORTED' },
    );
    for (let i = 0; i < 100 && (cancelled < 2 || pool.activeCalls(endpoints) > 0); i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(cancelled, 2);
    assert.equal(pool.activeCalls(endpoints), 0);
  });

  test('bidi: writes and reads, half-close completes the call', async () => {
    server.handlers = {
      telemetry: (call: grpc.ServerDuplexStream<TelemetryCommand, TelemetryCommand>) => {
        call.on('data', (cmd: TelemetryCommand) => {
          if (cmd.command.case === 'settings') {
            call.write(
              create(TelemetryCommandSchema, {
                status: { code: Code.OK, message: 'OK' },
                command: { case: 'settings', value: cmd.command.value },
              }),
            );
          }
        });
        call.on('end', () => call.end());
      },
    };
    const stream = await rpc.bidi(endpoints, M.telemetry);
    assert.equal(pool.activeCalls(endpoints), 1);
    assert.equal(
      stream.write({ command: { case: 'settings', value: { requestTimeout: { seconds: 3n } } } }),
      true,
    );
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.done, false);
    assert.equal(first.value?.command.case, 'settings');
    stream.end();
    assert.equal(stream.write({}), false, 'no writes after half-close');
    assert.equal(await stream.done, undefined);
    assert.equal((await it.next()).done, true);
    assert.equal(pool.activeCalls(endpoints), 0);
  });

  test('bidi: cancel ends iteration with CANCELLED and releases the channel', async () => {
    server.handlers = { telemetry: () => {} };
    const stream = await rpc.bidi(endpoints, M.telemetry);
    stream.cancel();
    const result = await stream.done;
    assert.ok(result instanceof RocketMQError);
    assert.equal(result.code, 'CANCELLED');
    await assert.rejects(
      (async () => {
        for await (const _ of stream) {
        }
      })(),
      { code: 'CANCELLED' },
    );
    assert.equal(pool.activeCalls(endpoints), 0);
  });

  test('a failing credentials provider fails the call before anything is sent', async () => {
    const local = new RpcClient({
      pool,
      clientId: 'c',
      credentials: () => {
        throw new Error('vault down');
      },
    });
    const before = server.calls.length;
    await assert.rejects(local.unary(endpoints, M.heartbeat, {}), { code: 'INTERNAL' });
    assert.equal(server.calls.length, before);
  });
});

describe('RpcClient with a fake grpc client', () => {
  test('uses the deadline, maps a late CANCELLED without an abort to CANCELLED', async () => {
    const seen: Array<{ path: string; deadline: unknown }> = [];
    const fake: GrpcClientLike = {
      makeUnaryRequest: ((
        path: string,
        _s: unknown,
        _d: unknown,
        _a: unknown,
        _m: unknown,
        options: grpc.CallOptions,
        cb: grpc.requestCallback<unknown>,
      ) => {
        seen.push({ path, deadline: options.deadline });
        setImmediate(() =>
          cb({
            code: grpc.status.CANCELLED,
            details: 'x',
            metadata: new grpc.Metadata(),
            name: 'Error',
            message: 'x',
          }),
        );
        return { cancel() {} };
      }) as unknown as GrpcClientLike['makeUnaryRequest'],
      makeServerStreamRequest: (() => assert.fail()) as unknown as GrpcClientLike['makeServerStreamRequest'],
      makeBidiStreamRequest: (() => assert.fail()) as unknown as GrpcClientLike['makeBidiStreamRequest'],
      close: () => {},
    };
    const pool = new ChannelPool({ createClient: () => fake });
    const rpc = new RpcClient({ pool, clientId: 'c', defaultTimeoutMs: () => 1234 });
    const t0 = Date.now();
    await assert.rejects(rpc.unary(parseEndpoints('127.0.0.1:1'), M.heartbeat, {}), { code: 'CANCELLED' });
    assert.equal(seen[0]!.path, '/apache.rocketmq.v2.MessagingService/Heartbeat');
    const deadline = seen[0]!.deadline as number;
    assert.ok(deadline >= t0 + 1234 && deadline <= Date.now() + 1234);
    pool.close();
  });
});
