import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import { RocketMQError } from '../../../src/errors.js';
import { ManualClock } from '../../../src/internal/clock.js';
import { Scheduler } from '../../../src/internal/scheduler.js';
import {
  ChannelPool,
  createChannelCredentials,
  DEFAULT_CHANNEL_OPTIONS,
  type GrpcClientLike,
} from '../../../src/rpc/channel-pool.js';
import { parseEndpoints } from '../../../src/rpc/endpoints.js';

interface Made {
  target: string;
  options: grpc.ChannelOptions;
  credentials: grpc.ChannelCredentials;
  closed: number;
}

function fakeFactory() {
  const made: Made[] = [];
  const createClient = (
    target: string,
    credentials: grpc.ChannelCredentials,
    options: grpc.ChannelOptions,
  ) => {
    const entry: Made = { target, options, credentials, closed: 0 };
    made.push(entry);
    return { close: () => entry.closed++ } as unknown as GrpcClientLike;
  };
  return { made, createClient };
}

describe('ChannelPool', () => {
  test('each pool orders a multi-address endpoint list with its own random source', () => {
    const firsts = new Map<string, number>();
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    // 20 clients (one pool each) of a two-proxy access point: both proxies come first for some.
    for (let i = 0; i < 20; i++) {
      const { made, createClient } = fakeFactory();
      const pool = new ChannelPool({ createClient, random });
      pool.acquire(parseEndpoints('127.0.0.1:1001;127.0.0.1:1002')).release();
      const first = made[0]!.target.slice('ipv4:'.length).split(',')[0]!;
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
      pool.close();
    }
    assert.equal(firsts.size, 2, `both proxies first for some client: ${JSON.stringify([...firsts])}`);
    for (const n of firsts.values()) assert.ok(n < 20);

    const { made, createClient } = fakeFactory();
    const pool = new ChannelPool({ createClient, random: () => 0 });
    pool.acquire(parseEndpoints('10.0.0.1:1;10.0.0.2:1;10.0.0.3:1')).release();
    assert.equal(made[0]!.target, 'ipv4:10.0.0.2:1,10.0.0.3:1,10.0.0.1:1');
    // The channel is created once; the same set in another order reuses it.
    pool.acquire(parseEndpoints('10.0.0.3:1;10.0.0.1:1;10.0.0.2:1')).release();
    assert.equal(made.length, 1);
    pool.close();
  });

  test('one lazily created channel per endpoint key, shared across equal Endpoints objects', () => {
    const { made, createClient } = fakeFactory();
    // A random source near 1 keeps the given order (see the ordering test below).
    const pool = new ChannelPool({ createClient, random: () => 0.999 });
    assert.equal(made.length, 0, 'lazy');
    const a1 = pool.acquire(parseEndpoints('10.0.0.1:8081;10.0.0.2:8081'));
    const a2 = pool.acquire(parseEndpoints('10.0.0.2:8081;10.0.0.1:8081')); // same set, other order
    const b = pool.acquire(parseEndpoints('broker.example.com:8081'));
    assert.equal(made.length, 2);
    assert.equal(a1.client, a2.client);
    assert.notEqual(a1.client, b.client);
    assert.equal(made[0]!.target, 'ipv4:10.0.0.1:8081,10.0.0.2:8081');
    assert.equal(made[1]!.target, 'dns:broker.example.com:8081');
    assert.equal(pool.size, 2);
    pool.close();
    assert.deepEqual(
      made.map((m) => m.closed),
      [1, 1],
    );
    assert.throws(
      () => pool.acquire(parseEndpoints('10.0.0.1:8081')),
      (e: unknown) => {
        return e instanceof RocketMQError && e.code === 'CLOSED';
      },
    );
    pool.close(); // idempotent
    assert.deepEqual(
      made.map((m) => m.closed),
      [1, 1],
    );
  });

  test('channel options: large messages, keepalive 300 s / 30 s, no built-in retries', () => {
    const { made, createClient } = fakeFactory();
    const pool = new ChannelPool({ createClient, channelOptions: { 'grpc.primary_user_agent': 'x' } });
    pool.acquire(parseEndpoints('127.0.0.1:8081'));
    const o = made[0]!.options;
    assert.ok(
      o['grpc.max_receive_message_length'] === -1 || o['grpc.max_receive_message_length']! >= 130 * 2 ** 20,
    );
    assert.ok(
      o['grpc.max_send_message_length'] === -1 || o['grpc.max_send_message_length']! >= 130 * 2 ** 20,
    );
    assert.equal(o['grpc.keepalive_time_ms'], 300_000);
    assert.equal(o['grpc.keepalive_timeout_ms'], 30_000);
    assert.equal(o['grpc.keepalive_permit_without_calls'], 1);
    assert.equal(o['grpc.enable_retries'], 0);
    assert.equal(o['grpc.primary_user_agent'], 'x');
    assert.equal(DEFAULT_CHANNEL_OPTIONS['grpc.enable_retries'], 0);
    pool.close();
  });

  test('idle channels are closed by the scheduled check; active ones are kept', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
    const clock = new ManualClock();
    const scheduler = new Scheduler();
    const { made, createClient } = fakeFactory();
    const pool = new ChannelPool({
      createClient,
      clock,
      scheduler,
      idleTimeoutMs: 30 * 60_000,
      idleCheckIntervalMs: 60_000,
    });
    const idle = parseEndpoints('127.0.0.1:1');
    const busy = parseEndpoints('127.0.0.1:2');
    pool.acquire(idle).release();
    const lease = pool.acquire(busy); // never released: an open stream
    assert.equal(pool.activeCalls(busy), 1);
    clock.advance(29 * 60_000);
    t.mock.timers.tick(29 * 60_000);
    assert.equal(made[0]!.closed, 0);
    clock.advance(60_000);
    t.mock.timers.tick(60_000);
    assert.equal(made[0]!.closed, 1, 'idle channel closed');
    assert.equal(made[1]!.closed, 0, 'channel with an active call kept');
    assert.equal(pool.size, 1);
    // The next call re-creates the idle endpoint's channel.
    pool.acquire(idle).release();
    assert.equal(made.length, 3);
    lease.release();
    lease.release(); // idempotent
    assert.equal(pool.activeCalls(busy), 0);
    pool.close();
    assert.equal(scheduler.pending, 0, 'idle check cancelled on close');
    scheduler.close();
  });

  test('evict closes one channel; the next call opens a new one', () => {
    const { made, createClient } = fakeFactory();
    const pool = new ChannelPool({ createClient });
    const e = parseEndpoints('127.0.0.1:1');
    pool.acquire(e).release();
    pool.evict(e);
    assert.equal(made[0]!.closed, 1);
    pool.acquire(e).release();
    assert.equal(made.length, 2);
    pool.close();
  });
});

describe('createChannelCredentials', () => {
  test('plaintext by default, TLS with verification when enabled', () => {
    assert.equal(createChannelCredentials(undefined).credentials._isSecure(), false);
    assert.equal(createChannelCredentials(false).credentials._isSecure(), false);
    assert.equal(createChannelCredentials(true).credentials._isSecure(), true);
  });

  test('serverName becomes the target name override', () => {
    const { credentials, options } = createChannelCredentials({ serverName: 'proxy.internal' });
    assert.equal(credentials._isSecure(), true);
    assert.equal(options['grpc.ssl_target_name_override'], 'proxy.internal');
    assert.equal(options['grpc.default_authority'], 'proxy.internal');
  });

  test('cert without key is refused', () => {
    assert.throws(() => createChannelCredentials({ cert: 'x' }), { code: 'INVALID_ARGUMENT' });
  });

  test('rejectUnauthorized: false only when asked', () => {
    const { credentials } = createChannelCredentials({ rejectUnauthorized: false });
    assert.equal(credentials._isSecure(), true);
  });
});
