/**
 * ClientCore against a REAL RocketMQ 5.x proxy: settings handshake over Telemetry, QueryRoute for a
 * created topic, Heartbeat OK, clean shutdown; and on an ACL-enabled broker, valid credentials start
 * while a wrong secret fails fast with UNAUTHORIZED and without a retry storm.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RocketMQError } from '../../src/errors.js';
import { ClientCore } from '../../src/protocol/client-core.js';
import type { TelemetryStateChange } from '../../src/protocol/telemetry-session.js';
import { type BrokerHandle, describeBrokerSource, startBroker } from '../../testcontainers/index.js';
import { releaseSharedBroker, sharedBroker, uniqueName } from '../helpers/broker.js';

describe('ClientCore against a real broker', () => {
  let broker: BrokerHandle | undefined;
  let skipReason = '';

  before(async () => {
    const b = await sharedBroker();
    if (typeof b === 'string') {
      skipReason = `no RocketMQ broker available: ${b}`;
      return;
    }
    broker = b;
  });

  after(async () => {
    await releaseSharedBroker();
  });

  test('starts with a settings handshake, queries a route, heartbeats OK, shuts down cleanly', async (t) => {
    if (!broker) return t.skip(skipReason);
    const topic = uniqueName('core');
    await broker.createTopic(topic, 'NORMAL');
    const core = new ClientCore({
      clientType: 'producer',
      accessPoint: broker.endpoint,
      topics: [topic],
      ...(broker.acl
        ? { credentials: { accessKey: broker.acl.accessKey, accessSecret: broker.acl.secretKey } }
        : {}),
    });
    const applied: string[] = [];
    core.on('settings.applied', (e) => applied.push(e.endpoints));
    try {
      await core.start({ timeoutMs: 20_000 });
      assert.equal(core.state, 'running');
      assert.equal(applied.length >= 1, true, 'server settings applied');
      const s = core.settings.current;
      assert.equal(s.fromServer, true);
      assert.ok(s.maxBodySizeBytes > 0, 'max body size from the server');
      assert.equal(s.retryPolicy?.backoff.kind, 'exponential', 'producer backoff from the server');

      const route = await core.getRoute(topic);
      assert.ok(route.queues.length > 0, 'route has queues');
      for (const q of route.queues) {
        assert.equal(q.topic, topic);
        assert.ok(q.endpoints.addresses.length > 0);
      }
      assert.ok(route.queues.some((q) => q.brokerId === 0 && q.permission === 'read-write'));

      const beats = await core.heartbeatNow();
      assert.ok(beats.length >= 1);
      for (const b of beats) assert.equal(b.error, undefined, `heartbeat failed: ${b.error?.message}`);
    } finally {
      await core.shutdown({ timeoutMs: 5_000 });
    }
    assert.equal(core.state, 'stopped');
    assert.equal(core.scheduler.pending, 0);
    assert.equal(core.pool.size, 0);
  });

  test('an unknown topic fails start with TOPIC_NOT_FOUND', async (t) => {
    if (!broker) return t.skip(skipReason);
    const core = new ClientCore({
      clientType: 'producer',
      accessPoint: broker.endpoint,
      topics: [uniqueName('missing')],
      ...(broker.acl
        ? { credentials: { accessKey: broker.acl.accessKey, accessSecret: broker.acl.secretKey } }
        : {}),
    });
    await assert.rejects(core.start({ timeoutMs: 20_000 }), { code: 'TOPIC_NOT_FOUND' });
    assert.equal(core.state, 'failed');
  });
});

describe('ClientCore against a real ACL-enabled broker', () => {
  let broker: BrokerHandle | undefined;
  let skipReason = '';
  const topic = uniqueName('acl');

  before(async () => {
    const source = await describeBrokerSource({ ignoreEnv: true });
    if (source.kind === 'none') {
      if (process.env.CI === 'true') throw new Error(`CI=true requires a real broker: ${source.reason}`);
      skipReason = `no RocketMQ broker available: ${source.reason}`;
      return;
    }
    broker = await startBroker({ acl: true, ignoreEnv: true });
    assert.ok(broker.acl, 'the ACL broker returns credentials');
    await broker.createTopic(topic, 'NORMAL');
  });

  after(async () => {
    await broker?.stop();
  });

  test('valid credentials start, heartbeat and stop', async (t) => {
    if (!broker?.acl) return t.skip(skipReason);
    const core = new ClientCore({
      clientType: 'producer',
      accessPoint: broker.endpoint,
      topics: [topic],
      credentials: { accessKey: broker.acl.accessKey, accessSecret: broker.acl.secretKey },
    });
    try {
      await core.start({ timeoutMs: 20_000 });
      const beats = await core.heartbeatNow();
      for (const b of beats) assert.equal(b.error, undefined, `heartbeat failed: ${b.error?.message}`);
    } finally {
      await core.shutdown({ timeoutMs: 5_000 });
    }
    assert.equal(core.state, 'stopped');
  });

  test('a wrong secret yields UNAUTHORIZED quickly, without a retry storm', async (t) => {
    if (!broker?.acl) return t.skip(skipReason);
    const core = new ClientCore({
      clientType: 'producer',
      accessPoint: broker.endpoint,
      topics: [topic],
      credentials: { accessKey: broker.acl.accessKey, accessSecret: `${broker.acl.secretKey}-wrong` },
    });
    const transitions: TelemetryStateChange[] = [];
    core.on('telemetry.state', (c) => transitions.push(c));
    const t0 = performance.now();
    const err = await core.start({ timeoutMs: 20_000 }).then(
      () => assert.fail('start should fail'),
      (e: unknown) => e,
    );
    const elapsed = performance.now() - t0;
    assert.ok(err instanceof RocketMQError, String(err));
    assert.equal(err.code, 'UNAUTHORIZED', `${err.code}: ${err.message}`);
    assert.ok(elapsed < 5_000, `took ${Math.round(elapsed)} ms`);
    const attempts = transitions.filter((c) => c.to === 'connecting').length;
    assert.ok(attempts <= 2, `telemetry connect attempts: ${attempts}`);
    assert.equal(core.state, 'failed');
    await core.shutdown();
  });
});
