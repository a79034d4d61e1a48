/**
 * Leak checks: counts of the active resources (`process.getActiveResourcesInfo()`) that would keep the
 * process alive, compared with a baseline taken before the code under test ran.
 */
import assert from 'node:assert/strict';

/** Resource type → count, e.g. `TCPWrap → 2`, `Timeout → 1`. */
export function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/** Resource types (with counts) above the baseline now. */
export function extraResources(baseline: Map<string, number>): string[] {
  return [...resources()]
    .filter(([k, n]) => n > (baseline.get(k) ?? 0))
    .map(([k, n]) => `${k}:${n - (baseline.get(k) ?? 0)}`);
}

/**
 * Waits (bounded, yielding to I/O) until no resource type exceeds its baseline count; fails with the
 * leftovers otherwise. Sockets closed by `destroy()` disappear on the next turns of the loop, hence the
 * bounded wait rather than one look.
 */
export async function assertNoExtraResources(baseline: Map<string, number>, boundMs = 3_000): Promise<void> {
  const started = performance.now();
  let extra: string[] = [];
  do {
    extra = extraResources(baseline);
    if (extra.length === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  } while (performance.now() - started < boundMs);
  assert.fail(
    `resources left after shutdown: ${extra.join(', ')} (baseline ${JSON.stringify([...baseline])})`,
  );
}
