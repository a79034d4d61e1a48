/**
 * C9 against a REAL RocketMQ 5.x proxy that this file owns, configured with a short
 * `grpcClientIdleTimeMills` (3 s). The clients dial the TCP fault proxy in front of it (the
 * `createGrpcClient` seam, as in `broker-faults.test.ts`), which counts their connections.
 *
 * - The idle limit is real: a bare gRPC connection without calls is closed by the proxy.
 * - A producer idle for three idle limits keeps its connection (its telemetry stream is an active call)
 *   and its first send after idling succeeds.
 * - A client pinging every second (far below grpc-java's default permitted 5 min): whatever the proxy
 *   answers (GOAWAY too_many_pings or nothing), no send fails and connections stay bounded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { RocketMQError } from '../../../src/errors.js';
import { Producer } from '../../../src/producer/index.js';
import type { GrpcClientFactory } from '../../../src/rpc/channel-pool.js';
import type { BrokerHandle } from '../../../testcontainers/index.js';
import { FaultProxy } from '../../helpers/fault-proxy.js';
import { ownBrokerSkipReason, startOwnBroker } from '../../helpers/own-broker.js';
import { waitUntil } from '../../helpers/wait-for.js';

const IDLE_MS = 3_000;
const name = (prefix: string) =>
  `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;

describe('C9 real proxy with a short client idle time', () => {
  let broker: BrokerHandle | undefined;
  let proxy: FaultProxy;
  let skip: string | undefined;
  let viaProxy: GrpcClientFactory;
  let topic: string;

  before(async () => {
    skip = await ownBrokerSkipReason();
    if (skip) return;
    broker = await startOwnBroker({ proxyConfig: { grpcClientIdleTimeMills: IDLE_MS } });
    proxy = await FaultProxy.start({ target: broker.endpoint });
    const brokerAddress = broker.endpoint;
    viaProxy = (target, credentials, options) =>
      new grpc.Client(target.replace(brokerAddress, proxy.endpoint), credentials, options);
    topic = name('c9');
    await broker.createTopic(topic, 'NORMAL');
  });

  after(async () => {
    await proxy?.close();
    await broker?.stop();
  });

  const producer = (t: TestContext, channelOptions: grpc.ChannelOptions = {}) => {
    const p = new Producer({
      endpoints: broker!.endpoint,
      topics: [topic],
      requestTimeoutMs: 3_000,
      core: { createGrpcClient: viaProxy, channelOptions },
    });
    t.after(() => p.shutdown({ timeoutMs: 2_000 }));
    return p;
  };

  test('C9 idle past grpcClientIdleTimeMills: a bare connection is closed by the proxy; the producer keeps its connection and its first send after idling succeeds', async (t) => {
    if (skip) return t.skip(skip);
    const p = producer(t);
    await p.start();
    assert.ok((await p.send({ topic, body: 'before' })).messageId);
    proxy.resetStats();
    const bare = new grpc.Client(proxy.endpoint, grpc.credentials.createInsecure());
    t.after(() => bare.close());
    await new Promise<void>((resolve, reject) =>
      bare.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())),
    );
    const active = proxy.stats().active;
    await waitUntil(
      () => proxy.stats().active === active - 1,
      4 * IDLE_MS,
      'the proxy to close the idle bare connection',
    );
    // The producer has been idle (no send) for more than the idle limit by now; idle one more.
    await new Promise((r) => setTimeout(r, IDLE_MS));
    assert.ok((await p.send({ topic, body: 'after idling' })).messageId);
    assert.equal(proxy.stats().accepted, 1, 'only the bare connection was opened: the producer kept its own');
  });

  test('C9 keepalive every second against the proxy: no send fails, connections stay bounded', async (t) => {
    if (skip) return t.skip(skip);
    const p = producer(t, { 'grpc.keepalive_time_ms': 1_000, 'grpc.keepalive_timeout_ms': 1_000 });
    await p.start();
    proxy.resetStats();
    const failures: string[] = [];
    const started = performance.now();
    let sends = 0;
    while (performance.now() - started < 8_000) {
      sends += 1;
      await p
        .send({ topic, body: `ka ${sends}` })
        .catch((e: unknown) => failures.push(RocketMQError.from(e).code));
      await new Promise((r) => setTimeout(r, 500));
    }
    const connections = proxy.stats().accepted;
    t.diagnostic(
      `${sends} sends in 8 s with 1 s keepalive: ${failures.length} failed, ${connections} new connections`,
    );
    assert.deepEqual(failures, []);
    assert.ok(connections <= 4, `${connections} new connections in 8 s (no GOAWAY loop)`);
  });
});
