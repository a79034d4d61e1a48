import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { RocketMQError } from '../../../src/errors.js';
import { ClientType, Code } from '../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import {
  type TelemetryCommand,
  TelemetryCommandSchema,
} from '../../../src/gen/apache/rocketmq/v2/service_pb.js';
import { AsyncQueue } from '../../../src/internal/async-queue.js';
import { createDeferred } from '../../../src/internal/deferred.js';
import { Scheduler } from '../../../src/internal/scheduler.js';
import type { LogFields, Logger } from '../../../src/observability/logger.js';
import { ClientSettings, type ServerSettings } from '../../../src/protocol/settings.js';
import {
  ALLOWED_TRANSITIONS,
  canTransition,
  type TelemetryHandlers,
  TelemetrySession,
  type TelemetryStateChange,
  type TelemetryStateName,
  type TelemetryStream,
} from '../../../src/protocol/telemetry-session.js';
import { parseEndpoints } from '../../../src/rpc/endpoints.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

class FakeStream implements TelemetryStream {
  readonly written: TelemetryCommand[] = [];
  readonly #queue = new AsyncQueue<TelemetryCommand>();
  readonly #done = createDeferred<RocketMQError | undefined>();
  halfClosed = false;
  cancelled = false;

  get finished(): boolean {
    return this.#done.settled;
  }
  get done(): Promise<RocketMQError | undefined> {
    return this.#done.promise;
  }
  write(command: MessageInitShape<typeof TelemetryCommandSchema> | TelemetryCommand): boolean {
    if (this.halfClosed || this.finished) return false;
    this.written.push(
      create(TelemetryCommandSchema, command as MessageInitShape<typeof TelemetryCommandSchema>),
    );
    return true;
  }
  end(): void {
    this.halfClosed = true;
  }
  cancel(): void {
    if (this.finished) return;
    this.cancelled = true;
    const err = new RocketMQError('cancelled', 'CANCELLED');
    this.#queue.fail(err);
    this.#done.resolve(err);
  }
  serverSend(init: MessageInitShape<typeof TelemetryCommandSchema>): void {
    this.#queue.push(create(TelemetryCommandSchema, init));
  }
  serverSettings(): void {
    this.serverSend({
      status: { code: Code.OK, message: 'OK' },
      command: { case: 'settings', value: { requestTimeout: { seconds: 4n } } },
    });
  }
  serverComplete(): void {
    this.#queue.close();
    this.#done.resolve(undefined);
  }
  serverFail(err: RocketMQError): void {
    this.#queue.fail(err);
    this.#done.resolve(err);
  }
  [Symbol.asyncIterator](): AsyncIterator<TelemetryCommand> {
    return this.#queue;
  }
}

interface Harness {
  session: TelemetrySession;
  scheduler: Scheduler;
  streams: FakeStream[];
  changes: TelemetryStateChange[];
  applied: ServerSettings[];
  logs: Array<[string, LogFields | undefined]>;
  openFailures: RocketMQError[];
  reconnectRequests: number;
}

function harness(
  t: TestContext,
  options: { random?: () => number; handlers?: TelemetryHandlers; mock?: boolean } = {},
): Harness {
  if (options.mock !== false) t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
  const scheduler = new Scheduler();
  const endpoints = parseEndpoints('127.0.0.1:8081');
  const settings = new ClientSettings({ clientType: 'producer', accessPoint: endpoints, topics: ['t'] });
  const logs: Harness['logs'] = [];
  const logger: Logger = {
    debug: (m, f) => logs.push([m, f]),
    info: (m, f) => logs.push([m, f]),
    warn: (m, f) => logs.push([m, f]),
    error: (m, f) => logs.push([m, f]),
  };
  const h: Harness = {
    session: undefined as unknown as TelemetrySession,
    scheduler,
    streams: [],
    changes: [],
    applied: [],
    logs,
    openFailures: [],
    reconnectRequests: 0,
  };
  h.session = new TelemetrySession({
    endpoints,
    open: async () => {
      const failure = h.openFailures.shift();
      if (failure) throw failure;
      const s = new FakeStream();
      h.streams.push(s);
      return s;
    },
    settings: () => settings.current,
    onServerSettings: (s) => h.applied.push(s),
    handlers: () => options.handlers ?? {},
    onReconnectRequested: () => h.reconnectRequests++,
    scheduler,
    logger,
    random: options.random ?? (() => 0.5),
  });
  h.session.on('state', (c) => h.changes.push(c));
  return h;
}

/** Closes the session (advancing fake time past the half-close grace period) and the scheduler. */
async function shutdown(h: Harness, t: TestContext): Promise<void> {
  const closing = h.session.close({ timeoutMs: 1_000 });
  await flush();
  t.mock.timers.tick(1_000);
  await closing;
  assert.equal(h.scheduler.pending, 0, 'no timers left');
  h.scheduler.close();
}

const path = (h: Harness): string => h.changes.map((c) => c.to).join(' → ');

describe('telemetry state machine', () => {
  test('allow-list', () => {
    const states: TelemetryStateName[] = ['idle', 'connecting', 'open', 'backoff', 'closed'];
    const allowed = new Set([
      'idle>connecting',
      'idle>closed',
      'connecting>open',
      'connecting>backoff',
      'connecting>closed',
      'open>backoff',
      'open>closed',
      'backoff>connecting',
      'backoff>closed',
    ]);
    for (const from of states) {
      for (const to of states) {
        assert.equal(canTransition(from, to), allowed.has(`${from}>${to}`), `${from} → ${to}`);
      }
    }
    assert.deepEqual(ALLOWED_TRANSITIONS.closed, []);
  });

  test('start: connecting → open, Settings written first; the reply resolves waiters and is applied', async (t) => {
    const h = harness(t);
    const waiting = h.session.waitForSettings({ timeoutMs: 5_000 });
    h.session.start();
    h.session.start(); // no-op
    await flush();
    assert.equal(path(h), 'connecting → open');
    const stream = h.streams[0]!;
    assert.equal(stream.written[0]?.command.case, 'settings');
    const sent = stream.written[0]!.command.value as { clientType?: ClientType };
    assert.equal(sent.clientType, ClientType.PRODUCER);
    assert.equal(h.session.hasSettings, false);
    stream.serverSettings();
    await waiting;
    assert.equal(h.session.hasSettings, true);
    assert.equal(h.applied[0]?.requestTimeoutMs, 4000);
    await h.session.waitForSettings(); // already there: resolves at once
    assert.ok(
      h.logs.some(([m, f]) => m === 'telemetry state changed' && f?.to === 'open'),
      'transitions logged',
    );
    await shutdown(h, t);
  });

  test('waitForSettings fails with SETTINGS_TIMEOUT after its timeout (last error as cause)', async (t) => {
    const h = harness(t);
    h.openFailures.push(new RocketMQError('connect refused', 'UNAVAILABLE'));
    h.session.start();
    const waiting = h.session.waitForSettings({ timeoutMs: 3_000 });
    await flush();
    assert.equal(h.session.state, 'backoff');
    t.mock.timers.tick(2_999);
    await flush();
    let settled = false;
    waiting.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await flush();
    assert.equal(settled, false);
    t.mock.timers.tick(1);
    await assert.rejects(waiting, (e: unknown) => {
      assert.ok(e instanceof RocketMQError);
      assert.equal(e.code, 'SETTINGS_TIMEOUT');
      assert.match(e.message, /3000 ms/);
      assert.equal((e.cause as RocketMQError).code, 'UNAVAILABLE');
      return true;
    });
    await shutdown(h, t);
  });

  test('a status-only UNAUTHORIZED frame fails the wait at once and backs off (no hammering)', async (t) => {
    const h = harness(t, { random: () => 0.5 });
    h.session.start();
    const waiting = h.session.waitForSettings({ timeoutMs: 60_000 });
    await flush();
    h.streams[0]!.serverSend({ status: { code: Code.UNAUTHORIZED, message: 'bad signature' } });
    await assert.rejects(waiting, { code: 'UNAUTHORIZED', brokerCode: 40100 });
    h.streams[0]!.serverComplete();
    await flush();
    assert.equal(h.session.state, 'backoff');
    assert.equal(h.changes.at(-1)?.error?.code, 'UNAUTHORIZED');
    assert.equal(h.changes.at(-1)?.delayMs, 1_000);
    // Later waits fail fast too, until a Settings reply arrives.
    await assert.rejects(h.session.waitForSettings({ timeoutMs: 60_000 }), { code: 'UNAUTHORIZED' });
    // Keeps refusing: each attempt waits longer.
    t.mock.timers.tick(1_000);
    await flush();
    h.streams[1]!.serverSend({ status: { code: Code.UNAUTHORIZED, message: 'bad signature' } });
    h.streams[1]!.serverComplete();
    await flush();
    assert.equal(h.changes.at(-1)?.delayMs, 2_000);
    assert.equal(h.streams.length, 2);
    t.mock.timers.tick(1_999);
    await flush();
    assert.equal(h.streams.length, 2, 'no attempt before the backoff ends');
    await shutdown(h, t);
  });

  test('backoff grows exponentially within the jitter bounds and resets after a healthy stream', async (t) => {
    for (const [random, factor] of [
      [() => 0, 0.8],
      [() => 0.999999, 1.2],
    ] as const) {
      const h = harness(t, { random, mock: random() === 0 });
      h.session.start();
      await flush();
      const delays: number[] = [];
      for (let i = 0; i < 7; i++) {
        h.streams.at(-1)!.serverFail(new RocketMQError('reset', 'UNAVAILABLE'));
        await flush();
        const c = h.changes.at(-1)!;
        assert.equal(c.to, 'backoff');
        delays.push(c.delayMs!);
        t.mock.timers.tick(c.delayMs!);
        await flush();
        assert.equal(h.session.state, 'open');
      }
      const bases = [1000, 2000, 4000, 8000, 16000, 30000, 30000];
      delays.forEach((d, i) => {
        const expected = Math.min(30_000, bases[i]! * factor);
        assert.ok(Math.abs(d - expected) < 1, `attempt ${i + 1}: ${d} ≈ ${expected}`);
        assert.ok(d >= bases[i]! * 0.8 - 1 && d <= Math.min(30_000, bases[i]! * 1.2) + 1, 'within ±20 %');
      });
      // A Settings reply marks the stream healthy: the next failure starts over.
      h.streams.at(-1)!.serverSettings();
      await flush();
      assert.equal(h.session.attempt, 0);
      h.streams.at(-1)!.serverFail(new RocketMQError('reset', 'UNAVAILABLE'));
      await flush();
      assert.ok(Math.abs(h.changes.at(-1)!.delayMs! - 1000 * factor) < 1);
      await shutdown(h, t);
    }
  });

  test('exit cleanup: open → backoff cancels the stream and its sync timer; close clears the backoff timer', async (t) => {
    const h = harness(t);
    h.session.start();
    await flush();
    assert.equal(h.scheduler.pending, 1, 'settings sync timer armed while open');
    const first = h.streams[0]!;
    first.serverComplete(); // the server ends the stream
    await flush();
    assert.equal(h.session.state, 'backoff');
    assert.equal(h.changes.at(-1)?.error?.code, 'UNAVAILABLE');
    assert.equal(h.scheduler.pending, 1, 'only the reconnect timer remains');
    await h.session.close();
    assert.equal(h.session.state, 'closed');
    assert.equal(h.scheduler.pending, 0, 'reconnect timer cleared');
    t.mock.timers.tick(60_000);
    await flush();
    assert.equal(h.streams.length, 1, 'no reconnect after close');
    assert.deepEqual(
      h.changes.map((c) => c.to),
      ['connecting', 'open', 'backoff', 'closed'],
    );
    await assert.rejects(h.session.waitForSettings(), { code: 'CLOSED' });
    h.scheduler.close();
  });

  test('a stream failure cancels the old stream (exit cleanup) before reconnecting', async (t) => {
    const h = harness(t);
    h.session.start();
    await flush();
    h.session.reconnect('test');
    assert.equal(h.streams[0]!.cancelled, true);
    assert.equal(h.session.state, 'backoff');
    assert.equal(h.changes.at(-1)?.delayMs, 0);
    t.mock.timers.tick(0);
    await flush();
    assert.equal(h.session.state, 'open');
    assert.equal(h.streams.length, 2);
    assert.equal(h.session.attempt, 0, 'a requested reconnect is not a failure');
    assert.equal(h.streams[1]!.written[0]?.command.case, 'settings', 'settings re-sent on reconnect');
    await shutdown(h, t);
  });

  test('close half-closes a healthy stream, waits for completion, else cancels after the grace period', async (t) => {
    const h = harness(t);
    h.session.start();
    await flush();
    const stream = h.streams[0]!;
    stream.serverSettings();
    await flush();
    const closing = h.session.close({ timeoutMs: 1_000 });
    assert.equal(h.session.close(), closing, 'idempotent');
    assert.equal(stream.halfClosed, true);
    stream.serverComplete();
    await closing;
    assert.equal(stream.cancelled, false, 'completed gracefully');
    assert.equal(h.scheduler.pending, 0);

    const h2 = harness(t, { mock: false });
    h2.session.start();
    await flush();
    h2.streams[0]!.serverSettings();
    await flush();
    const closing2 = h2.session.close({ timeoutMs: 1_000 });
    await flush();
    assert.equal(h2.streams[0]!.cancelled, false);
    t.mock.timers.tick(1_000);
    await closing2;
    assert.equal(h2.streams[0]!.cancelled, true, 'cancelled after the grace period');
    assert.equal(h2.scheduler.pending, 0);
    h.scheduler.close();
    h2.scheduler.close();
  });

  test('close cancels a stream that never answered at once; pending waiters get CLOSED', async (t) => {
    const h = harness(t);
    h.session.start();
    await flush();
    const waiting = h.session.waitForSettings();
    await h.session.close({ timeoutMs: 60_000 });
    assert.equal(h.streams[0]!.halfClosed, true);
    assert.equal(h.streams[0]!.cancelled, true);
    await assert.rejects(waiting, { code: 'CLOSED' });
    assert.equal(h.scheduler.pending, 0);
    h.scheduler.close();
  });

  test('settings are re-sent every 5 minutes on a live stream', async (t) => {
    const h = harness(t);
    h.session.start();
    await flush();
    const stream = h.streams[0]!;
    assert.equal(stream.written.length, 1);
    t.mock.timers.tick(5 * 60_000);
    assert.equal(stream.written.length, 2);
    assert.equal(stream.written[1]?.command.case, 'settings');
    await shutdown(h, t);
  });
});

describe('telemetry server commands', () => {
  test('verify without a handler → NOT_IMPLEMENTED with the nonce; with a handler → its outcome', async (t) => {
    let handlers: TelemetryHandlers = {};
    const h = harness(t, {
      handlers: new Proxy({} as TelemetryHandlers, {
        get: (_t, k) => handlers[k as keyof TelemetryHandlers],
      }),
    });
    h.session.start();
    await flush();
    const stream = h.streams[0]!;
    stream.serverSend({ command: { case: 'verifyMessageCommand', value: { nonce: 'n-1' } } });
    await flush();
    const reply = stream.written.at(-1)!;
    assert.equal(reply.command.case, 'verifyMessageResult');
    assert.equal((reply.command.value as { nonce: string }).nonce, 'n-1');
    assert.equal(reply.status?.code, Code.NOT_IMPLEMENTED);

    handlers = { verifyMessage: async () => ({ code: 'FAILED_TO_CONSUME_MESSAGE', message: 'nope' }) };
    stream.serverSend({ command: { case: 'verifyMessageCommand', value: { nonce: 'n-2' } } });
    await flush();
    const reply2 = stream.written.at(-1)!;
    assert.equal((reply2.command.value as { nonce: string }).nonce, 'n-2');
    assert.equal(reply2.status?.code, Code.FAILED_TO_CONSUME_MESSAGE);
    await shutdown(h, t);
  });

  test('print thread stack trace → a thread_stack_trace frame with the nonce', async (t) => {
    const h = harness(t);
    h.session.start();
    await flush();
    const stream = h.streams[0]!;
    stream.serverSend({ command: { case: 'printThreadStackTraceCommand', value: { nonce: 'st-1' } } });
    await flush();
    const reply = stream.written.at(-1)!;
    assert.equal(reply.status?.code, Code.OK);
    assert.equal(reply.command.case, 'threadStackTrace');
    const value = reply.command.value as { nonce: string; threadStackTrace?: string };
    assert.equal(value.nonce, 'st-1');
    assert.match(value.threadStackTrace ?? '', /Node\.js .*Active resources/s);
    await shutdown(h, t);
  });

  test('recover orphaned transaction → the registered handler with the endpoint; handler errors are contained', async (t) => {
    const seen: string[] = [];
    const h = harness(t, {
      handlers: {
        recoverOrphanedTransaction: async (cmd, ctx) => {
          seen.push(`${cmd.transactionId}@${ctx.endpoints.addresses[0]!.port}`);
          throw new Error('checker bug');
        },
      },
    });
    h.session.start();
    await flush();
    h.streams[0]!.serverSend({
      command: { case: 'recoverOrphanedTransactionCommand', value: { transactionId: 'tx-1', message: {} } },
    });
    await flush();
    assert.deepEqual(seen, ['tx-1@8081']);
    assert.equal(h.session.state, 'open');
    assert.ok(h.logs.some(([m]) => m === 'telemetry handler failed'));
    await shutdown(h, t);
  });

  test('reconnect endpoints → hook, then the stream is dropped and re-opened with settings', async (t) => {
    const h = harness(t);
    h.session.start();
    await flush();
    h.streams[0]!.serverSend({ command: { case: 'reconnectEndpointsCommand', value: { nonce: 'r' } } });
    await flush();
    assert.equal(h.reconnectRequests, 1);
    assert.equal(h.streams[0]!.cancelled, true);
    t.mock.timers.tick(0);
    await flush();
    assert.equal(h.streams.length, 2);
    assert.equal(h.session.state, 'open');
    await shutdown(h, t);
  });
});
