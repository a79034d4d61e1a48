/**
 * Which skipped tests a run may report. Outside CI every skip is reported with its reason and allowed;
 * with `CI=true` a skip fails the run unless it is on {@link ALLOWED_SKIPS}, whose entries are runtime
 * capabilities that no setup step can provide to the Node running the tests.
 */
import zlib from 'node:zlib';

/** One skipped test, as written by `scripts/skip-reporter.mjs`. */
export interface SkippedTest {
  readonly file: string;
  readonly name: string;
  readonly reason: string;
}

export interface AllowedSkip {
  /** The end of the test file's path (`/`-separated). */
  readonly file: string;
  readonly name: string;
  /** The reason the test gives must match. */
  readonly reason: RegExp;
  /** Why the skip is legitimate. */
  readonly because: string;
  /** The skip is allowed only while this holds on the running Node. */
  readonly when: () => boolean;
}

const hasZstd = (): boolean =>
  typeof (zlib as { zstdDecompressSync?: unknown }).zstdDecompressSync === 'function';

/**
 * The zstd cases: exactly one of the decompress pair runs on any Node, and the frame decode test runs
 * where zstd is. Decoding needs `zlib.zstdDecompressSync`
 * (Node ≥ 22.15 / 23.8); on an older Node the other test proves the typed "unsupported" result instead.
 */
export const ALLOWED_SKIPS: readonly AllowedSkip[] = [
  {
    file: 'test/unit/protocol/codec/decompress.test.ts',
    name: 'decoded when the running Node has zlib.zstdDecompressSync',
    reason: /has no zstd \(needs ≥ 22\.15/,
    because: 'this Node has no zlib.zstdDecompressSync (a runtime capability: Node ≥ 22.15 / 23.8)',
    when: () => !hasZstd(),
  },
  {
    file: 'test/unit/protocol/codec/decompress.test.ts',
    name: 'reported unsupported on a Node without zstd',
    reason: /supports zstd$/,
    because: 'this Node has zstd, so the "unsupported" path cannot happen on it',
    when: hasZstd,
  },
  {
    file: 'test/unit/protocol/codec/zstd-frame.test.ts',
    name: 'hand-built raw and RLE frames decode where zstd is available',
    reason: /has no zstd$/,
    because:
      'this Node has no zlib.zstdDecompressSync; the frame checks themselves run everywhere, and the Node 22/24 suites of scripts/runtimes.ts decode',
    when: () => !hasZstd(),
  },
];

export interface SkipVerdict {
  /** Skips on the allow-list (reported, not failing). */
  readonly allowed: readonly SkippedTest[];
  /** Skips that fail a CI run. */
  readonly forbidden: readonly SkippedTest[];
  /** True when the run must fail because of its skips. */
  readonly fail: boolean;
}

function isAllowed(s: SkippedTest, allowList: readonly AllowedSkip[]): boolean {
  const file = s.file.replaceAll('\\', '/');
  return allowList.some(
    (a) =>
      (file === a.file || file.endsWith(`/${a.file}`)) &&
      s.name === a.name &&
      a.reason.test(s.reason) &&
      a.when(),
  );
}

/** Sorts a run's skips into allowed and forbidden; with `ci` any forbidden skip fails the run. */
export function judgeSkips(
  skips: readonly SkippedTest[],
  opts: { ci: boolean; allowList?: readonly AllowedSkip[] },
): SkipVerdict {
  const allowList = opts.allowList ?? ALLOWED_SKIPS;
  const allowed = skips.filter((s) => isAllowed(s, allowList));
  const forbidden = skips.filter((s) => !isAllowed(s, allowList));
  return { allowed, forbidden, fail: opts.ci && forbidden.length > 0 };
}

/** Parses the reporter's JSON lines (blank lines ignored). */
export function parseSkipLines(text: string): SkippedTest[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const v = JSON.parse(l) as Partial<SkippedTest>;
      if (typeof v.name !== 'string') throw new Error(`bad skip line: ${l}`);
      return { file: v.file ?? '', name: v.name, reason: v.reason ?? '' };
    });
}

/** The lines the runner prints about a run's skips. */
export function describeSkips(verdict: SkipVerdict, root: string): string[] {
  const rel = (f: string) => (f.startsWith(root) ? f.slice(root.length + 1) : f);
  const lines: string[] = [];
  for (const s of verdict.allowed) lines.push(`[skips] allowed: ${rel(s.file)} › ${s.name} — ${s.reason}`);
  for (const s of verdict.forbidden) {
    lines.push(
      `[skips] ${verdict.fail ? 'NOT ALLOWED' : 'skipped'}: ${rel(s.file)} › ${s.name} — ${s.reason || '(no reason)'}`,
    );
  }
  lines.push(
    `[skips] ${verdict.allowed.length + verdict.forbidden.length} skipped: ${verdict.allowed.length} on the allow-list, ${verdict.forbidden.length} not${verdict.fail ? ' → CI=true fails the run' : ''}`,
  );
  return lines;
}
