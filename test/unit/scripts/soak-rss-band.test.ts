/**
 * The soak's RSS band: where its warm-up ends (the first sample without faults; one report interval
 * after the first fault of each kind ended with faults), the band over what follows, and the RSS step
 * of each fault.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { faultSteps, rssBand, warmUpEndS } from '../../../scripts/soak/rss-band.js';

const samples = (rss: readonly number[]) => rss.map((rssMiB, i) => ({ t: 60 * (i + 1), rssMiB }));

describe('soak RSS band', () => {
  test('without faults the warm-up is the first sample only', () => {
    assert.equal(warmUpEndS([], 60, 60_000), 60);
  });

  test('with faults the warm-up ends one report interval after the first kill and the first blackhole ended, later faults do not move it', () => {
    const faults = [
      { kind: 'kill', at: 300, durationMs: 35_000 },
      { kind: 'blackhole', at: 420, durationMs: 10_000 },
      { kind: 'kill', at: 600, durationMs: 90_000 },
    ];
    assert.equal(warmUpEndS(faults, 60, 60_000), 490);
    assert.equal(warmUpEndS(faults.slice(0, 1), 60, 60_000), 395);
  });

  test('the band counts only the samples after the warm-up: median, extremes and the largest deviation in %', () => {
    const s = samples([300, 100, 100, 110, 90, 100]);
    const all = rssBand(s, 60);
    assert.deepEqual(all, { min: 90, median: 100, max: 110, maxDevPct: 10, count: 5, fromS: 120 });
    const late = rssBand(s, 200);
    assert.deepEqual(late, { min: 90, median: 100, max: 110, maxDevPct: 10, count: 3, fromS: 240 });
    // A warm-up past the last sample leaves the whole series (never an empty band).
    assert.equal(rssBand(s, 1_000).count, 6);
  });

  test('each fault gets the RSS before it and one report interval after it ended', () => {
    const s = samples([200, 205, 210, 220, 225]);
    const steps = faultSteps(s, [{ kind: 'kill', at: 130, durationMs: 20_000 }], 60_000);
    assert.deepEqual(steps, [{ kind: 'kill', at: 130, beforeMiB: 205, afterMiB: 220 }]);
  });
});
