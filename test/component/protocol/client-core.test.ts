/**
 * ClientCore against the in-process broker over loopback: settings handshake, routes, heartbeats,
 * telemetry reconnect, server commands, bounded failures, and leak-free shutdown.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RocketMQError } from '../../../src/errors.js';
import { exponentialBackoff } from '../../../src/internal/backoff.js';
import {
  ClientCore,
  type ClientCoreEvents,
  type ClientCoreOptions,
} from '../../../src/protocol/client-core.js';
import type { TelemetrySession, TelemetryStateChange } from '../../../src/protocol/telemetry-session.js';
import { InProcessBroker } from '../../../src/testing/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../../..');

let counter = 0;
const uniqueTopic = (prefix: string): string => `${prefix}-${process.pid}-${++counter}`;

/** Counts of the active resources that would keep the process alive. */
function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/** Waits (bounded, on I/O turns) until no resource type exceeds its baseline count. */
async function assertNoExtraResources(baseline: Map<string, number>, boundMs = 3_000): Promise<void> {
  const started = performance.now();
  let extra: string[] = [];
  do {
    const now = resources();
    extra = [...now].filter(([k, n]) => n > (baseline.get(k) ?? 0)).map(([k, n]) => `${k}:${n}`);
    if (extra.length === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  } while (performance.now() - started < boundMs);
  assert.fail(
    `resources left after shutdown: ${extra.join(', ')} (baseline ${JSON.stringify([...baseline])})`,
  );
}

/** Resolves with the first event of `type` matching `predicate` (no sleeps). */
function nextEvent<K extends keyof ClientCoreEvents>(
  core: ClientCore,
  type: K,
  predicate: (e: ClientCoreEvents[K]) => boolean = () => true,
): Promise<ClientCoreEvents[K]> {
  return new Promise((resolvePromise) => {
    const off = core.on(type, (e) => {
      if (predicate(e)) {
        off();
        resolvePromise(e);
      }
    });
  });
}

function nextSettings(session: TelemetrySession): Promise<void> {
  return new Promise((resolvePromise) => {
    const off = session.on('settings', () => {
      off();
      resolvePromise();
    });
  });
}

const fastReconnect = exponentialBackoff({ initialMs: 20, maxMs: 200, multiplier: 2, jitter: 0 });

describe('ClientCore against the in-process broker', () => {
  let broker: InProcessBroker;
  const cores: ClientCore[] = [];
  const make = (options: Partial<ClientCoreOptions> = {}): ClientCore => {
    const core = new ClientCore({
      clientType: 'producer',
      accessPoint: broker.endpoint,
      reconnectBackoff: fastReconnect,
      ...options,
    });
    cores.push(core);
    return core;
  };

  before(async () => {
    broker = await InProcessBroker.start();
  });

  after(async () => {
    await Promise.all(cores.map((c) => c.shutdown({ timeoutMs: 1_000 })));
    await broker.shutdown();
  });

  test('starts with a settings handshake, routes and heartbeats, shuts down leaving no handles', async () => {
    const topic = uniqueTopic('core');
    broker.createTopic(topic, { queues: 2 });
    const baseline = resources();
    const core = make({ topics: [topic] });
    const events: string[] = [];
    core.on('state', (e) => events.push(`${e.from}>${e.to}`));
    const routeUpdated = nextEvent(core, 'route.updated');
    const settingsApplied = nextEvent(core, 'settings.applied');
    const [p1, p2] = [core.start({ timeoutMs: 5_000 }), core.start()];
    assert.equal(p1, p2, 'concurrent starts share one promise');
    await p1;
    assert.equal(core.state, 'running');
    await core.start(); // running: resolves at once

    const applied = await settingsApplied;
    assert.equal(applied.settings.fromServer, true);
    assert.equal(core.settings.current.maxBodySizeBytes, 4 * 1024 * 1024);
    assert.equal(core.settings.current.retryPolicy?.backoff.kind, 'exponential');
    assert.ok(broker.clientIds.includes(core.clientId), 'the broker stored our settings');
    const update = await routeUpdated;
    assert.equal(update.topic, topic);
    const route = await core.getRoute(topic);
    assert.equal(route.queues.length, 2);
    assert.equal(route.queues[0]!.permission, 'read-write');

    const beats = await core.heartbeatNow();
    assert.equal(beats.length, 1);
    assert.equal(beats[0]!.error, undefined, 'heartbeat answered OK');

    const stopping = core.shutdown({ timeoutMs: 2_000 });
    assert.equal(core.shutdown(), stopping, 'idempotent');
    await stopping;
    assert.equal(core.state, 'stopped');
    assert.deepEqual(events, [
      'created>starting',
      'starting>running',
      'running>stopping',
      'stopping>stopped',
    ]);
    assert.equal(broker.stats().calls.NotifyClientTermination >= 1, true);
    assert.equal(broker.clientIds.includes(core.clientId), false, 'termination removed our settings');
    assert.equal(core.scheduler.pending, 0);
    assert.equal(core.pool.size, 0);
    await assert.rejects(core.start(), { code: 'INVALID_STATE' });
    await assertNoExtraResources(baseline);
  });

  test('a child process that starts and shuts down a client exits on its own', async () => {
    const topic = uniqueTopic('child');
    broker.createTopic(topic);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(HERE, 'fixtures', 'start-stop.ts'), broker.endpoint, topic],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) =>
      child.on('exit', (c, s) => r([c, s])),
    );
    clearTimeout(killer);
    assert.equal(signal, null, `child had to be killed (leaked handles?) stderr: ${err}`);
    assert.equal(code, 0, `stderr: ${err}`);
    assert.deepEqual(JSON.parse(out.trim()), { state: 'stopped', heartbeatErrors: 0 });
  });

  test('reconnects after the broker drops the stream and re-sends its settings', async () => {
    const core = make();
    await core.start({ timeoutMs: 5_000 });
    const session = core.session(core.accessPoint)!;
    const seen: TelemetryStateChange[] = [];
    core.on('telemetry.state', (c) => seen.push(c));
    const reopened = nextEvent(core, 'telemetry.state', (c) => c.to === 'open');
    const resent = reopened.then(() => nextSettings(session));
    const telemetryBefore = broker.stats().calls.Telemetry;
    broker.faults.dropStreams();
    await reopened;
    await resent;
    assert.deepEqual(
      seen.map((c) => c.to),
      ['backoff', 'connecting', 'open'],
    );
    assert.equal(seen[0]!.error?.code, 'UNAVAILABLE');
    assert.equal(session.state, 'open');
    assert.equal(session.hasSettings, true, 'settings handshake repeated on the new stream');
    assert.equal(broker.stats().calls.Telemetry, telemetryBefore + 1);
    await core.shutdown();
  });

  test('a topic added after start reaches the broker at once; asyncDispose shuts down', async () => {
    const core = make();
    await core.start({ timeoutMs: 5_000 });
    const topic = uniqueTopic('late');
    const session = core.session(core.accessPoint)!;
    const resynced = nextSettings(session);
    assert.equal(core.settings.addTopic(topic), true);
    await resynced;
    const stored = broker.clientSettings(core.clientId);
    const topics = stored?.topics ?? [];
    assert.ok(topics.includes(topic), `broker holds ${JSON.stringify(topics)}`);
    await core[Symbol.asyncDispose]();
    assert.equal(core.state, 'stopped');
  });

  test('answers server commands: thread stack trace and verify (not implemented without a handler)', async () => {
    const core = make();
    await core.start({ timeoutMs: 5_000 });
    broker.sendCommand(core.clientId, { type: 'print-thread-stack-trace', nonce: 'stack-1' });
    const stack = await broker.waitForTelemetryReply(
      (r) => r.clientId === core.clientId && r.type === 'thread-stack-trace',
    );
    assert.equal(stack.nonce, 'stack-1');
    assert.match(stack.threadStackTrace ?? '', /Node\.js/);

    broker.sendCommand(core.clientId, {
      type: 'verify-message',
      nonce: 'verify-1',
      message: { topic: 'verify-topic', body: '' },
    });
    const verify = await broker.waitForTelemetryReply(
      (r) => r.clientId === core.clientId && r.type === 'verify-message-result',
    );
    assert.equal(verify.nonce, 'verify-1');
    assert.equal(verify.status?.code, 50100);
    await core.shutdown();
  });

  test('settings timeout when the broker hangs Telemetry → SETTINGS_TIMEOUT within the bound', async () => {
    const baseline = resources();
    broker.faults.hang('Telemetry');
    try {
      const core = make({ startupSettingsTimeoutMs: 300 });
      const t0 = performance.now();
      const err = await core.start().then(
        () => assert.fail('start should fail'),
        (e: unknown) => e,
      );
      const elapsed = performance.now() - t0;
      assert.ok(err instanceof RocketMQError);
      assert.equal(err.code, 'SETTINGS_TIMEOUT');
      assert.ok(elapsed >= 290 && elapsed < 2_500, `failed after ${Math.round(elapsed)} ms`);
      assert.equal(core.state, 'failed');
      assert.equal(core.failure, err);
      assert.equal(core.scheduler.pending, 0, 'timers released on failure');
      await core.shutdown(); // no-op, resolves
    } finally {
      broker.faults.clear();
    }
    await assertNoExtraResources(baseline);
  });

  test('start({ timeoutMs }) bounds the whole start', async () => {
    broker.faults.hang('Telemetry');
    try {
      const core = make({ startupSettingsTimeoutMs: 60_000 });
      const t0 = performance.now();
      await assert.rejects(core.start({ timeoutMs: 200 }), { code: 'SETTINGS_TIMEOUT' });
      assert.ok(performance.now() - t0 < 2_000);
    } finally {
      broker.faults.clear();
    }
  });

  test('shutdown during start aborts the start and stops cleanly', async () => {
    broker.faults.hang('Telemetry');
    try {
      const core = make({ startupSettingsTimeoutMs: 60_000 });
      const starting = core.start();
      await new Promise((r) => setImmediate(r));
      await core.shutdown({ timeoutMs: 1_000 });
      await assert.rejects(starting, { code: 'CLOSED' });
      assert.equal(core.state, 'stopped');
      assert.equal(core.scheduler.pending, 0);
    } finally {
      broker.faults.clear();
    }
  });

  test('an unknown topic fails start with TOPIC_NOT_FOUND after one query (not retriable)', async () => {
    broker.resetStats();
    const core = make({ topics: [uniqueTopic('missing')] });
    await assert.rejects(core.start({ timeoutMs: 5_000 }), { code: 'TOPIC_NOT_FOUND' });
    assert.equal(broker.stats().calls.QueryRoute, 1);
    assert.equal(core.state, 'failed');
  });

  test('a retriable route failure is retried at start (≤ 3 attempts)', async () => {
    const topic = uniqueTopic('retry');
    broker.createTopic(topic);
    broker.resetStats();
    broker.faults.failNext('QueryRoute', 2, { code: 50001, message: 'try again' });
    const core = make({ topics: [topic], startupRouteBackoff: fastReconnect });
    await core.start({ timeoutMs: 10_000 });
    assert.equal(broker.stats().calls.QueryRoute, 3);
    await core.shutdown();
  });

  test('shutdown is bounded when the broker is gone', async () => {
    const lonely = await InProcessBroker.start();
    const topic = uniqueTopic('gone');
    lonely.createTopic(topic);
    const core = new ClientCore({ clientType: 'producer', accessPoint: lonely.endpoint, topics: [topic] });
    await core.start({ timeoutMs: 5_000 });
    await lonely.shutdown();
    const t0 = performance.now();
    await core.shutdown({ timeoutMs: 1_000 });
    assert.ok(performance.now() - t0 < 2_500, 'bounded');
    assert.equal(core.state, 'stopped');
    assert.equal(core.scheduler.pending, 0);
  });
});

describe('ClientCore against an ACL-enabled in-process broker', () => {
  let broker: InProcessBroker;
  const topic = uniqueTopic('acl');

  before(async () => {
    broker = await InProcessBroker.start({ acl: { accessKey: 'ak', secretKey: 'sk' } });
    broker.createTopic(topic);
  });

  after(async () => {
    await broker.shutdown();
  });

  test('valid credentials start and stop', async () => {
    const core = new ClientCore({
      clientType: 'producer',
      accessPoint: broker.endpoint,
      topics: [topic],
      credentials: { accessKey: 'ak', accessSecret: 'sk' },
    });
    await core.start({ timeoutMs: 5_000 });
    const beats = await core.heartbeatNow();
    assert.equal(beats[0]?.error, undefined);
    await core.shutdown();
  });

  test('a wrong secret fails with UNAUTHORIZED quickly and without a retry storm', async () => {
    broker.resetStats();
    const core = new ClientCore({
      clientType: 'producer',
      accessPoint: broker.endpoint,
      topics: [topic],
      credentials: { accessKey: 'ak', accessSecret: 'wrong' },
    });
    const t0 = performance.now();
    const err = await core.start({ timeoutMs: 10_000 }).then(
      () => assert.fail('start should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RocketMQError);
    assert.equal(err.code, 'UNAUTHORIZED');
    assert.equal(err.brokerCode, 40100);
    assert.ok(performance.now() - t0 < 2_000, 'fails fast');
    assert.equal(core.state, 'failed');
    const calls = broker.stats().calls;
    assert.ok(calls.Telemetry <= 2, `Telemetry attempts: ${calls.Telemetry}`);
    // The route query runs alongside the settings handshake; refused too, it is not retried.
    assert.ok(calls.QueryRoute <= 1, `QueryRoute attempts: ${calls.QueryRoute}`);
  });

  test('anonymous requests are refused too', async () => {
    const core = new ClientCore({ clientType: 'producer', accessPoint: broker.endpoint, topics: [topic] });
    await assert.rejects(core.start({ timeoutMs: 5_000 }), { code: 'UNAUTHORIZED' });
  });
});
