/**
 * linkSignals with a long-lived input (a client's shutdown signal, combined once per call): combined
 * signals that are no longer referenced must not stay reachable from the input. Node 20's
 * `AbortSignal.any` kept ~60 bytes per call forever (the 30-minute soak's heap grew 8 MiB through the
 * SimpleConsumer's per-receive link); this pins the fix.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { dependantCount, linkSignals } from '../../../src/internal/abort.js';

async function collect(): Promise<number> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10)); // finalizers run on a later turn
  }
  return process.memoryUsage().heapUsed;
}

function linkMany(long: AbortSignal, n: number): void {
  for (let i = 0; i < n; i++) linkSignals(new AbortController().signal, long);
}

test('combined signals that are dropped are released from a long-lived input', async () => {
  const long = new AbortController();
  linkMany(long.signal, 100_000); // warm-up: code, hidden classes, table sizes
  await collect();
  const before = await collect();
  linkMany(long.signal, 100_000);
  const tracked = dependantCount(long.signal);
  const growth = (await collect()) - before;
  assert.ok(
    growth < 1.5 * 1024 * 1024,
    `heap grew ${(growth / 1024 / 1024).toFixed(2)} MiB for 100k dropped links`,
  );
  assert.ok(tracked > 0, 'the dependants were tracked on the input');
  assert.ok(dependantCount(long.signal) < 1_000, `${dependantCount(long.signal)} dependants still listed`);
});

test('a combined signal that is kept still aborts, with the input reason, after garbage collections', async () => {
  const long = new AbortController();
  const other = new AbortController();
  const kept = linkSignals(other.signal, long.signal);
  linkMany(long.signal, 10_000);
  await collect();
  assert.equal(kept.aborted, false);
  const reason = new Error('shutting down');
  long.abort(reason);
  assert.equal(kept.aborted, true);
  assert.equal(kept.reason, reason);
  assert.equal(dependantCount(long.signal), 0);
  other.abort();
  const late = linkSignals(other.signal, new AbortController().signal);
  assert.equal(late.aborted, true, 'an input that already aborted aborts the result at once');
});
