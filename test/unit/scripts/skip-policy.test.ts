/**
 * With CI=true no test may skip: `scripts/run-tests.ts` records every skip through
 * `scripts/skip-reporter.mjs` and fails the run on one that is not on the allow-list of
 * `scripts/skip-policy.ts`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import { ALLOWED_SKIPS, judgeSkips, parseSkipLines, type SkippedTest } from '../../../scripts/skip-policy.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const fixture = (name: string) => join(ROOT, 'test/fixtures/skips', name);

/** The environment for a nested test run: without NODE_TEST_CONTEXT, which makes node skip the files. */
function childEnv(ci: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: ci };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** Runs test files with the spec reporter and the skip reporter; returns the skips it recorded. */
function recordSkips(files: string[]): SkippedTest[] {
  const dir = mkdtempSync(join(tmpdir(), 'skip-policy-test-'));
  try {
    const out = join(dir, 'skips.jsonl');
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        '--test-reporter=tap',
        '--test-reporter-destination=stdout',
        `--test-reporter=${join(ROOT, 'scripts/skip-reporter.mjs')}`,
        `--test-reporter-destination=${out}`,
        ...files,
      ],
      { cwd: ROOT, encoding: 'utf8', env: childEnv('false') },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    return parseSkipLines(readFileSync(out, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runTests(args: string[], ci: string): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/run-tests.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: childEnv(ci),
  });
  return { status: r.status, output: r.stdout + r.stderr };
}

describe('skip policy', () => {
  const skip = (name: string, reason = 'r', file = '/x/test/unit/a.test.ts'): SkippedTest => ({
    file,
    name,
    reason,
  });

  test('with CI=true any skip off the allow-list fails the run; outside CI it is only reported', () => {
    const skips = [skip('a'), skip('b')];
    const ci = judgeSkips(skips, { ci: true, allowList: [] });
    assert.equal(ci.fail, true);
    assert.deepEqual(ci.forbidden, skips);
    const local = judgeSkips(skips, { ci: false, allowList: [] });
    assert.equal(local.fail, false);
    assert.deepEqual(local.forbidden, skips);
    assert.equal(judgeSkips([], { ci: true }).fail, false, 'a run without skips passes');
  });

  test('an allow-list entry needs the same file, name and reason, and its runtime condition', () => {
    const entry = {
      file: 'test/unit/a.test.ts',
      name: 'a',
      reason: /^needs X$/,
      because: 'X is a runtime capability',
      when: () => true,
    };
    assert.equal(judgeSkips([skip('a', 'needs X')], { ci: true, allowList: [entry] }).fail, false);
    assert.equal(
      judgeSkips([skip('b', 'needs X')], { ci: true, allowList: [entry] }).fail,
      true,
      'other name',
    );
    assert.equal(
      judgeSkips([skip('a', 'other')], { ci: true, allowList: [entry] }).fail,
      true,
      'other reason',
    );
    assert.equal(
      judgeSkips([skip('a', 'needs X', '/x/test/unit/b.test.ts')], { ci: true, allowList: [entry] }).fail,
      true,
      'other file',
    );
    const off = { ...entry, when: () => false };
    assert.equal(
      judgeSkips([skip('a', 'needs X')], { ci: true, allowList: [off] }).fail,
      true,
      'condition off',
    );
  });

  test('the allow-list holds only the zstd cases: the decompress pair (exactly one applies on this Node) and the frame decode test (where zstd is missing)', () => {
    assert.deepEqual(
      ALLOWED_SKIPS.map((a) => a.file),
      [
        'test/unit/protocol/codec/decompress.test.ts',
        'test/unit/protocol/codec/decompress.test.ts',
        'test/unit/protocol/codec/zstd-frame.test.ts',
      ],
    );
    const hasZstd = typeof (zlib as { zstdDecompressSync?: unknown }).zstdDecompressSync === 'function';
    assert.deepEqual(
      ALLOWED_SKIPS.map((a) => a.when()),
      [!hasZstd, hasZstd, !hasZstd],
    );
  });

  test('the reporter records each skip with its file, name and reason', () => {
    const skips = recordSkips([fixture('one-skip.ts'), fixture('no-skip.ts')]);
    assert.deepEqual(skips, [
      { file: fixture('one-skip.ts'), name: 'skips for a fixture reason', reason: 'fixture reason' },
    ]);
  });

  test('the real decompress tests skip exactly one zstd case on this Node, and it is allowed under CI', () => {
    const skips = recordSkips([join(ROOT, 'test/unit/protocol/codec/decompress.test.ts')]);
    assert.equal(skips.length, 1, JSON.stringify(skips));
    const verdict = judgeSkips(skips, { ci: true });
    assert.deepEqual(verdict.forbidden, []);
    assert.equal(verdict.fail, false);
  });

  test('run-tests with CI=true fails a run whose only problem is a skipped test, and names it', () => {
    const ci = runTests([fixture('one-skip.ts')], 'true');
    assert.equal(ci.status, 1, ci.output);
    assert.match(
      ci.output,
      /NOT ALLOWED: test\/fixtures\/skips\/one-skip\.ts › skips for a fixture reason — fixture reason/,
    );
    const local = runTests([fixture('one-skip.ts')], 'false');
    assert.equal(local.status, 0, local.output);
    assert.match(local.output, /\[skips\] skipped: .* — fixture reason/);
    const clean = runTests([fixture('no-skip.ts')], 'true');
    assert.equal(clean.status, 0, clean.output);
    assert.match(clean.output, /\[skips\] 0 skipped/);
  });
});
