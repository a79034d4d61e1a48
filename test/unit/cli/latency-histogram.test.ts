import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyHistogram } from '../../../src/cli/latency-histogram.js';

test('latency histogram: exact min/max/mean, percentiles within 1 %', () => {
  const h = new LatencyHistogram();
  assert.deepEqual(h.summary(), { count: 0, minMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0 });
  // 1..1000 ms, each once.
  for (let i = 1000; i >= 1; i--) h.record(i);
  const s = h.summary();
  assert.equal(s.count, 1000);
  assert.equal(s.minMs, 1);
  assert.equal(s.maxMs, 1000);
  assert.equal(s.meanMs, 500.5);
  const near = (actual: number, expected: number) =>
    assert.ok(Math.abs(actual - expected) / expected <= 0.01, `${actual} is not within 1 % of ${expected}`);
  near(s.p50Ms, 500);
  near(s.p90Ms, 900);
  near(s.p99Ms, 990);
  assert.ok(s.p99Ms <= s.maxMs);
  h.record(-5);
  assert.equal(h.summary().minMs, 0);
});
