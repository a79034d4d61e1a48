import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { checkLayers } from '../../../scripts/check-layers.js';
import { tempTree } from '../../helpers/temp-tree.js';

const tree = (files: Record<string, string>): string => tempTree('layers-', files);

test('downward imports pass, including .js specifiers', (t) => {
  const root = tree({
    'internal/clock.ts': 'export const a = 1;\n',
    'errors.ts': "import { a } from './internal/clock.js';\nexport const b = a;\n",
    'model/message.ts': "import { b } from '../errors.js';\nexport const c = b;\n",
    'protocol/convert.ts':
      "import { c } from '../model/message.js';\nimport type { X } from '../gen/x_pb.js';\n",
    'gen/x_pb.ts': 'export type X = 1;\n',
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.deepEqual(checkLayers(root), []);
});

test('upward imports, sibling imports and stray gen imports are reported', (t) => {
  const root = tree({
    'internal/clock.ts': "import { e } from '../errors.js';\n",
    'errors.ts': 'export const e = 1;\n',
    'producer/producer.ts': "import { x } from '../consumer/push.js';\n",
    'consumer/push.ts': 'export const x = 1;\n',
    'model/view.ts': "import type { X } from '../gen/x_pb.js';\n",
    'gen/x_pb.ts': 'export type X = 1;\n',
    'weird/thing.ts': 'export {};\n',
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const problems = checkLayers(root);
  assert.equal(problems.length, 4, problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('internal/clock.ts') && p.includes('may not import "errors"')));
  assert.ok(problems.some((p) => p.startsWith('producer/producer.ts') && p.includes('siblings')));
  assert.ok(problems.some((p) => p.startsWith('model/view.ts') && p.includes('src/gen')));
  assert.ok(problems.some((p) => p.startsWith('weird/thing.ts') && p.includes('unknown layer')));
});
