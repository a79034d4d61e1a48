/**
 * The one rule for skipping: outside CI a test that cannot run here is skipped with its reason; with
 * `CI=true` nothing skips, so the same situation is a failure that names the reason.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';

/** True when the run is a CI run (`CI=true`), where no test may skip. */
export function isCi(): boolean {
  return process.env.CI === 'true';
}

/** Skips `t` with `reason`, or fails it under `CI=true`. */
export function skipOrFailInCi(t: TestContext, reason: string): void {
  if (isCi()) assert.fail(`CI=true: this test may not be skipped (${reason})`);
  t.skip(reason);
}

/**
 * The `skip` option of a `describe`/`test` for a missing prerequisite: the reason outside CI, `false`
 * under `CI=true` (the test then runs and fails on the missing prerequisite, whose error names it).
 */
export function skipOptionOutsideCi(missing: string | false): string | false {
  return isCi() ? false : missing;
}
