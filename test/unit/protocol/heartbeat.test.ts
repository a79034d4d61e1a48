import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import { createDeferred } from '../../../src/internal/deferred.js';
import { Scheduler } from '../../../src/internal/scheduler.js';
import { Heartbeat, type HeartbeatResult } from '../../../src/protocol/heartbeat.js';
import { type Endpoints, endpointKey, parseEndpoints } from '../../../src/rpc/endpoints.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};

test('first beat after 1 s, then every 10 s, to every endpoint; failures reported, never thrown; no overlap', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
  const scheduler = new Scheduler();
  const a = parseEndpoints('127.0.0.1:1');
  const b = parseEndpoints('127.0.0.1:2');
  const beats: string[] = [];
  const rounds: Array<readonly HeartbeatResult[]> = [];
  const warnings: string[] = [];
  let gate: ReturnType<typeof createDeferred<void>> | undefined;
  const hb = new Heartbeat({
    scheduler,
    endpoints: () => [a, b],
    beat: async (e: Endpoints, options) => {
      beats.push(endpointKey(e));
      assert.equal(options.timeoutMs, 1234);
      if (gate) await gate.promise;
      if (e === b) throw new RocketMQError('unrecognized', 'UNRECOGNIZED_CLIENT_TYPE');
    },
    timeoutMs: () => 1234,
    logger: { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} },
    onRound: (r) => rounds.push(r),
  });
  hb.start();
  hb.start(); // idempotent
  t.mock.timers.tick(999);
  await flush();
  assert.equal(beats.length, 0);
  t.mock.timers.tick(1);
  await flush();
  assert.deepEqual(beats, ['ipv4:127.0.0.1:1', 'ipv4:127.0.0.1:2']);
  assert.equal(rounds.length, 1);
  assert.equal(rounds[0]![0]!.error, undefined);
  assert.equal(rounds[0]![1]!.error?.code, 'UNRECOGNIZED_CLIENT_TYPE');
  assert.deepEqual(warnings, ['heartbeat failed']);

  gate = createDeferred<void>();
  t.mock.timers.tick(10_000);
  await flush();
  assert.equal(beats.length, 4);
  t.mock.timers.tick(10_000); // previous round still running: skipped
  await flush();
  assert.equal(beats.length, 4);
  gate.resolve();
  gate = undefined;
  await flush();
  t.mock.timers.tick(10_000);
  await flush();
  assert.equal(beats.length, 6);

  hb.stop();
  assert.equal(hb.running, false);
  assert.equal(scheduler.pending, 0);
  scheduler.close();
});

test('stop() cancels heartbeats in flight', async () => {
  const scheduler = new Scheduler();
  let aborted = false;
  const hb = new Heartbeat({
    scheduler,
    endpoints: () => [parseEndpoints('127.0.0.1:1')],
    beat: (_e, { signal }) =>
      new Promise<void>((_resolve, reject) => {
        signal?.addEventListener('abort', () => {
          aborted = true;
          reject(signal.reason);
        });
      }),
  });
  const round = hb.beatAll();
  hb.stop();
  const [result] = await round;
  assert.equal(aborted, true);
  assert.equal(result?.error?.code, 'ABORTED');
  scheduler.close();
});
