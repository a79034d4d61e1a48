/**
 * The README's error-codes table is generated from src/errors.ts (scripts/error-codes-table.ts): this
 * fails when README.md is out of date with the code, and shows that a code added to src/errors.ts
 * without a description breaks the generator.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { errorCodeRows, errorCodesTable, SECTION, unionMembers } from '../../../scripts/error-codes-table.js';
import { readSection } from '../../../scripts/readme-sections.js';
import { BROKER_CODES, defaultRetriable, isErrorCode } from '../../../src/errors.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const ERRORS = readFileSync(resolve(ROOT, 'src/errors.ts'), 'utf8');

test('README.md holds the error-codes table generated from src/errors.ts', () => {
  const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
  const inReadme = readSection(readme, SECTION);
  assert.ok(inReadme !== undefined, `README.md has no <!-- generated:${SECTION} --> markers`);
  assert.equal(
    inReadme,
    errorCodesTable(),
    'README.md is out of date: run `npx tsx scripts/error-codes-table.ts --write`',
  );
});

test('one row per code of both unions, with the broker number and the default retriability', () => {
  const rows = errorCodeRows();
  const client = unionMembers(ERRORS, 'ClientErrorCode');
  const broker = unionMembers(ERRORS, 'BrokerErrorCode');
  assert.equal(rows.length, client.length + broker.length);
  assert.equal(new Set(rows.map((r) => r.code)).size, rows.length, 'no code twice');
  assert.equal(broker.length, BROKER_CODES.size);
  for (const r of rows) {
    assert.ok(isErrorCode(r.code), r.code);
    assert.equal(r.retriable, defaultRetriable(r.code), r.code);
    if (r.brokerCode !== undefined) assert.equal(BROKER_CODES.get(r.brokerCode)?.code, r.code);
    assert.ok(r.meaning.length > 0 && r.todo.length > 0, r.code);
  }
  assert.deepEqual(
    rows.filter((r) => r.brokerCode === undefined).map((r) => r.code),
    client,
    'client codes first, in declaration order',
  );
  const numbers = rows.flatMap((r) => (r.brokerCode === undefined ? [] : [r.brokerCode]));
  assert.deepEqual(
    numbers,
    [...numbers].sort((a, b) => a - b),
    'broker codes by number',
  );
});

test('a code added to src/errors.ts without a description makes the generator fail', () => {
  const withNew = ERRORS.replace(/(export type ClientErrorCode =[^;]*);/, "$1\n  | 'BRAND_NEW_CODE';");
  assert.notEqual(withNew, ERRORS, 'the probe edits the ClientErrorCode union');
  assert.deepEqual(unionMembers(withNew, 'ClientErrorCode').at(-1), 'BRAND_NEW_CODE');
  assert.throws(
    () => errorCodeRows(withNew),
    /codes without a meaning in scripts\/error-codes-table\.ts: BRAND_NEW_CODE/,
  );
});

test('table cells escape the pipe character', () => {
  const table = errorCodesTable([
    { code: 'ILLEGAL_MESSAGE_TAG', brokerCode: 40004, retriable: false, meaning: 'a | b', todo: 'c' },
  ]);
  assert.match(table, /\| `ILLEGAL_MESSAGE_TAG` \| 40004 \| no \| a \\\| b \| c \|/);
});
