/**
 * TransportRecovery: consecutive heartbeat timeouts per endpoint trigger one recovery, bounded by a
 * cooldown; any other outcome resets the count; a stopping client (ABORTED/CLOSED) changes nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import type { HeartbeatResult } from '../../../src/protocol/heartbeat.js';
import { TransportRecovery } from '../../../src/protocol/transport-recovery.js';
import { type Endpoints, endpointKey, parseEndpoints } from '../../../src/rpc/endpoints.js';

const A = parseEndpoints('127.0.0.1:1001');
const B = parseEndpoints('127.0.0.1:1002');
const timeout = (e: Endpoints): HeartbeatResult => ({
  endpoints: e,
  error: new RocketMQError('t', 'TIMEOUT'),
});
const ok = (e: Endpoints): HeartbeatResult => ({ endpoints: e });
const failed = (e: Endpoints, code: 'UNAVAILABLE' | 'ABORTED' | 'CLOSED'): HeartbeatResult => ({
  endpoints: e,
  error: new RocketMQError('x', code),
});

function setup(options: { threshold?: number; cooldownMs?: number } = {}) {
  let now = 0;
  const recovered: string[] = [];
  const r = new TransportRecovery({
    ...options,
    clock: { monotonic: () => now },
    recover: (e) => recovered.push(endpointKey(e)),
  });
  return { r, recovered, advance: (ms: number) => (now += ms) };
}

test('two consecutive timeouts of one endpoint recover it once; the other endpoint is untouched', () => {
  const { r, recovered } = setup();
  r.onHeartbeatRound([timeout(A), ok(B)]);
  assert.deepEqual(recovered, []);
  r.onHeartbeatRound([timeout(A), ok(B)]);
  assert.deepEqual(recovered, [endpointKey(A)]);
  assert.equal(r.recoveries, 1);
});

test('a success or another error in between resets the count', () => {
  const { r, recovered } = setup();
  r.onHeartbeatRound([timeout(A)]);
  r.onHeartbeatRound([ok(A)]);
  r.onHeartbeatRound([timeout(A)]);
  r.onHeartbeatRound([failed(A, 'UNAVAILABLE')]);
  r.onHeartbeatRound([timeout(A)]);
  assert.deepEqual(recovered, []);
});

test('ABORTED/CLOSED (client stopping) neither count nor reset', () => {
  const { r, recovered } = setup();
  r.onHeartbeatRound([timeout(A)]);
  r.onHeartbeatRound([failed(A, 'ABORTED')]);
  r.onHeartbeatRound([failed(A, 'CLOSED')]);
  r.onHeartbeatRound([timeout(A)]);
  assert.equal(recovered.length, 1);
});

test('the cooldown bounds recoveries of one endpoint (no recovery storm)', () => {
  const { r, recovered, advance } = setup({ cooldownMs: 30_000 });
  for (let i = 0; i < 20; i++) {
    r.onHeartbeatRound([timeout(A)]);
    advance(1_000);
  }
  assert.equal(recovered.length, 1, '20 s of timeouts inside one cooldown: one recovery');
  advance(11_000); // the recovery was at 1 s; now 31 s
  r.onHeartbeatRound([timeout(A)]);
  assert.equal(recovered.length, 2, 'still timing out after the cooldown: recovered again at once');
});

test('threshold 1 recovers on the first timeout; a throwing hook is contained', () => {
  let calls = 0;
  const r = new TransportRecovery({
    threshold: 1,
    cooldownMs: 0,
    clock: { monotonic: () => 0 },
    recover: () => {
      calls++;
      throw new Error('boom');
    },
  });
  r.onHeartbeatRound([timeout(A)]);
  r.onHeartbeatRound([timeout(A)]);
  assert.equal(calls, 2);
});
