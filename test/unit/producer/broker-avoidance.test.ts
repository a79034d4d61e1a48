import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../../../src/internal/clock.js';
import { BROKER_AVOIDANCE_MS, BrokerAvoidance } from '../../../src/producer/broker-avoidance.js';

describe('broker avoidance', () => {
  test('a broker is avoided for the period after its failure, by the clock alone', () => {
    const clock = new ManualClock();
    const a = new BrokerAvoidance(clock);
    assert.equal(a.isAvoided('broker-a'), false);
    a.avoid('broker-a');
    assert.equal(a.isAvoided('broker-a'), true);
    assert.equal(a.isAvoided('broker-b'), false, 'per broker name');
    assert.deepEqual(a.names, ['broker-a']);
    clock.advance(BROKER_AVOIDANCE_MS - 1);
    assert.equal(a.isAvoided('broker-a'), true);
    clock.advance(1);
    assert.equal(a.isAvoided('broker-a'), false, 'expired');
    assert.deepEqual(a.names, []);
  });

  test('a later failure extends the period; clear() forgets every broker', () => {
    const clock = new ManualClock();
    const a = new BrokerAvoidance(clock, 1000);
    a.avoid('x');
    clock.advance(600);
    a.avoid('x');
    clock.advance(600);
    assert.equal(a.isAvoided('x'), true, 'extended by the second failure');
    a.clear();
    assert.equal(a.isAvoided('x'), false);
  });
});
