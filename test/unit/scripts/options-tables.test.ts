/**
 * The README's options tables are generated from the option interfaces' TSDoc
 * (scripts/options-tables.ts): this fails when README.md is out of date with the code.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { optionRows, optionsTables, TABLES } from '../../../scripts/options-tables.js';
import { readSection, writeSection } from '../../../scripts/readme-sections.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

test('README.md holds the options tables generated from the option interfaces', () => {
  const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
  for (const [section, table] of optionsTables()) {
    const inReadme = readSection(readme, section);
    assert.ok(inReadme !== undefined, `README.md has no <!-- generated:${section} --> markers`);
    assert.equal(
      inReadme,
      table,
      `README.md (${section}) is out of date: run \`npx tsx scripts/options-tables.ts --write\``,
    );
  }
});

test('rows carry the code’s names, required flags and @defaultValue texts', () => {
  const rows = optionRows();
  assert.deepEqual(
    [...rows.keys()],
    TABLES.map((t) => t.section),
  );
  const push = new Map(rows.get('options-push-consumer')!.map((r) => [r.name, r]));
  assert.equal(push.get('concurrency')?.defaultValue, '20');
  assert.equal(push.get('maxCachedBytes')?.defaultValue, '64 MiB');
  assert.equal(push.get('listener')?.required, true);
  const producer = new Map(rows.get('options-producer')!.map((r) => [r.name, r]));
  assert.equal(producer.get('endpoints')?.required, true);
  assert.equal(producer.get('maxAttempts')?.defaultValue, '3');
  assert.equal(producer.has('core'), false, '@internal members are left out');
  const consumer = new Map(rows.get('options-consumer')!.map((r) => [r.name, r]));
  assert.equal(consumer.get('minInvisibleDurationMs')?.defaultValue, '10000');
  assert.match(consumer.get('logger')!.summary, /consoleLogger/, 'summaries come from the TSDoc');
});

test('readme sections: read and replace between the markers only', () => {
  const readme = 'a\n<!-- generated:x (by a script) -->\nold\n<!-- /generated:x -->\nb\n';
  assert.equal(readSection(readme, 'x'), 'old');
  assert.equal(readSection(readme, 'y'), undefined);
  const next = writeSection(readme, 'x', 'new');
  assert.equal(next, 'a\n<!-- generated:x (by a script) -->\nnew\n<!-- /generated:x -->\nb\n');
  assert.throws(() => writeSection(readme, 'y', 'z'), /no <!-- generated:y -->/);
});
