/**
 * Leak checks: count the process's active resources (handles, sockets, ref'd timers) AND the library's
 * own (every client's timers, channels, calls, streams and keep-alive handles, from
 * `src/internal/resource-count.ts`: the library's timers are unref'd, so the process view cannot see
 * them) before a test, and assert that no more are left after shutdown.
 */
import assert from 'node:assert/strict';
import { libraryResources } from '../../src/internal/resource-count.js';

/** Prefix of the library's own counts in {@link resources}. */
export const LIBRARY_PREFIX = 'rocketmq:';

/** Active resources by kind: the process's, then the library's (keys prefixed `rocketmq:`). */
export function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  for (const [kind, n] of Object.entries(libraryResources.snapshot())) counts.set(LIBRARY_PREFIX + kind, n);
  return counts;
}

/** Fails when, within `boundMs`, the process still holds more resources of some kind than `baseline`. */
export async function assertNoExtraResources(baseline: Map<string, number>, boundMs = 3_000): Promise<void> {
  const started = performance.now();
  let extra: string[] = [];
  do {
    const now = resources();
    extra = [...now].filter(([k, n]) => n > (baseline.get(k) ?? 0)).map(([k, n]) => `${k}:${n}`);
    if (extra.length === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  } while (performance.now() - started < boundMs);
  assert.fail(`resources left after shutdown: ${extra.join(', ')}`);
}
