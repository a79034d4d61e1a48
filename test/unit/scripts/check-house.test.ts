import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, test } from 'node:test';
import { checkCitations, checkTime, findTimeReads } from '../../../scripts/check-house.js';
import { tempTree } from '../../helpers/temp-tree.js';

const tree = (files: Record<string, string>): string => tempTree('house-', files);

// Built from parts, so that this file itself holds no citation.
const cite = (...words: string[]): string => words.join(' ');

describe('checkCitations', () => {
  test('reports each citation of a document not in the repo, with its line', (t) => {
    const root = tree({
      'src/a.ts': `/**\n * Retries (${cite('protocol', 'notes')} §7.3).\n */\nexport const a = 1;\n`,
      'src/b.ts': `/** Per-call options (${cite('style', 'convention')} 2). */\nexport const b = 1;\n`,
      'test/c.test.ts': `// As ${cite('the', 'seed')} does.\n`,
      'scripts/d.ts': `// ${cite('The', "seed's")} classifier\n`,
      'examples/e.ts': `// see ${'reliability.md'} §6\n`,
      'bench/f.mjs': `// ${cite('reliability', 'notes')} §2\n`,
    });
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const problems = checkCitations(root);
    assert.equal(problems.length, 6, problems.join('\n'));
    for (const where of [
      'src/a.ts:2',
      'src/b.ts:1',
      'test/c.test.ts:1',
      'scripts/d.ts:1',
      'examples/e.ts:1',
    ]) {
      assert.ok(
        problems.some((p) => p.startsWith(`${where}:`)),
        where,
      );
    }
  });

  test('plain facts, citations of files in the repo, generated code and prose files pass', (t) => {
    const root = tree({
      'src/a.ts': '/** Default deadline of unary calls: 3 s. */\nexport const a = 3_000;\n',
      'test/b.test.ts': '// reliability-matrix rows A1–A7 (test/reliability-matrix.md)\n// trace seeds\n',
      'src/gen/x_pb.ts': `// ${cite('protocol', 'notes')}\n`,
      'src/notes.md': `${cite('protocol', 'notes')}\n`,
      'node_modules/y/index.js': `// ${cite('the', 'seed')}\n`,
    });
    t.after(() => rmSync(root, { recursive: true, force: true }));
    assert.deepEqual(checkCitations(root), []);
  });

  test('the repository has none', () => {
    assert.deepEqual(checkCitations(), []);
  });
});

describe('findTimeReads', () => {
  test('finds global timers, clock reads, zero-argument dates and timer modules', () => {
    const text = [
      "import { setTimeout as sleep } from 'node:timers/promises';", // 1
      'const a = setTimeout(() => {}, 10);', // 2
      'const b = setInterval(tick, 10);', // 3
      'const c = Date.now();', // 4
      'const d = performance.now();', // 5
      'globalThis.setTimeout(f, 1);', // 6
      'const e = new Date();', // 7
      'defer(setTimeout);', // 8
      "const f = await import('perf_hooks');", // 9
    ].join('\n');
    const found = findTimeReads('x.ts', text);
    assert.deepEqual(
      found.map((f) => Number(f.split(':')[0])),
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
      found.join('\n'),
    );
  });

  test('leaves alone members named like timers, the seams, dates from a value, comments and strings', () => {
    const text = [
      'class T { setTimeout(fn: () => void, ms: number) { return 1; } now() { return 0; } }',
      'interface A { setTimeout(fn: () => void, ms: number): unknown; setInterval: number }',
      'time.setTimeout(f, 1); systemTimers.setTimeout(f, 2); clock.now(); clock.monotonic();',
      'const o = { setTimeout: 1, now: 2 };',
      'const d = new Date(0); const e = new Date(clock.now());',
      '// Date.now() and setTimeout in a comment',
      "const s = 'performance.now()';",
    ].join('\n');
    assert.deepEqual(findTimeReads('y.ts', text), []);
  });
});

describe('checkTime', () => {
  test('applies to src/ except internal/, cli/ and gen/; src/testing is held to it', (t) => {
    const root = tree({
      'internal/clock.ts': 'export const now = () => Date.now();\n',
      'cli/main.ts': 'setTimeout(() => {}, 1);\n',
      'gen/x_pb.ts': 'export const t = performance.now();\n',
      'consumer/service.ts': 'export const t0 = performance.now();\n',
      'testing/broker.ts': '\nconst timer = setTimeout(() => {}, 2000);\n',
    });
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const problems = checkTime(root);
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('src/consumer/service.ts:1: performance.now')));
    assert.ok(problems.some((p) => p.startsWith('src/testing/broker.ts:2: global setTimeout')));
  });

  test('the repository has none', () => {
    assert.deepEqual(checkTime(), []);
  });
});
