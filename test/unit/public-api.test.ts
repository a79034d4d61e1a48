/**
 * The public surface of the package entry `rocketmq-ts` (src/index.ts), seen through the compiler API
 * (test/helpers/public-api.ts):
 *
 * - no exported declaration reaches a generated protobuf type: not in
 *   option types, return types, class members or anything they reference;
 * - every export carries a doc comment (TSDoc with defaults, units and thrown codes);
 * - both checks are shown to be able to fail on a probe module.
 *
 * The export list itself is pinned by test/unit/exports.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type ts from 'typescript';
import { createApiProgram, inspectModule, ROOT, undocumentedExports } from '../helpers/public-api.js';

const ENTRY = join(ROOT, 'src', 'index.ts');
const PROBE = join(ROOT, 'src', '__index-probe__.ts');
const PROBE_SOURCE = `
import type { Status } from './gen/apache/rocketmq/v2/definition_pb.js';
/** Documented, but leaks a generated type through an option. */
export interface ProbeOptions { readonly onStatus?: (status: Status) => void }
export const undocumented = 1;
/** Documented and clean. */
export function clean(n: number): number { return n; }
`;

describe('rocketmq-ts public API (src/index.ts)', () => {
  let program: ts.Program;
  before(() => {
    program = createApiProgram([ENTRY], { [PROBE]: PROBE_SOURCE });
  });

  test('no exported declaration reaches a generated (src/gen) type', () => {
    const { exports, leaks } = inspectModule(program, ENTRY);
    assert.ok(exports.includes('Producer') && exports.includes('SimpleConsumer'), exports.join(', '));
    assert.deepEqual(leaks, []);
  });

  test('every export has a doc comment', () => {
    assert.deepEqual(undocumentedExports(program, ENTRY), []);
  });

  test('both checks fail on a probe that leaks and lacks docs', () => {
    const { leaks } = inspectModule(program, PROBE);
    assert.ok(
      leaks.some((l) => l.startsWith('ProbeOptions') && l.includes(': Status (src/gen/')),
      leaks.join('\n'),
    );
    assert.deepEqual(undocumentedExports(program, PROBE), ['undocumented']);
  });

  test('the entry source has no direct gen import', () => {
    assert.doesNotMatch(readFileSync(ENTRY, 'utf8'), /from\s+['"][^'"]*\/gen\//);
  });
});
