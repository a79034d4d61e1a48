import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ErrorCode, RocketMQError } from '../../../src/errors.js';
import { FilterExpression } from '../../../src/model/filter-expression.js';

function expectCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (e: unknown) => e instanceof RocketMQError && e.code === code);
}

describe('FilterExpression', () => {
  test('all is the TAG expression "*"', () => {
    assert.equal(FilterExpression.all.type, 'TAG');
    assert.equal(FilterExpression.all.expression, '*');
    assert.equal(FilterExpression.tag(' * '), FilterExpression.all);
    assert.deepEqual(FilterExpression.all.tags, ['*']);
  });

  test('tag lists are trimmed and joined with ||', () => {
    const f = FilterExpression.tag(' created || paid ');
    assert.equal(f.expression, 'created||paid');
    assert.deepEqual(f.tags, ['created', 'paid']);
    assert.ok(f.equals(FilterExpression.tag('created||paid')));
    assert.ok(Object.isFrozen(f));
  });

  test('sql keeps the expression (trimmed) and allows line breaks', () => {
    const f = FilterExpression.sql("  region = 'eu'\n  AND amount > 100 ");
    assert.equal(f.type, 'SQL92');
    assert.equal(f.expression, "region = 'eu'\n  AND amount > 100");
    assert.equal(f.tags, undefined);
    assert.equal(String(f), "sql(region = 'eu'\n  AND amount > 100)");
  });

  const BAD: Array<[string, () => unknown, ErrorCode]> = [
    ['blank tag expression', () => FilterExpression.tag('  '), 'ILLEGAL_FILTER_EXPRESSION'],
    ['empty tag in a list', () => FilterExpression.tag('a||'), 'ILLEGAL_FILTER_EXPRESSION'],
    ['single | separator', () => FilterExpression.tag('a|b'), 'ILLEGAL_FILTER_EXPRESSION'],
    ['* mixed with tags', () => FilterExpression.tag('a||*'), 'ILLEGAL_FILTER_EXPRESSION'],
    ['control character in tags', () => FilterExpression.tag('a\u0000'), 'ILLEGAL_FILTER_EXPRESSION'],
    ['blank SQL', () => FilterExpression.sql(''), 'ILLEGAL_FILTER_EXPRESSION'],
    ['control character in SQL', () => FilterExpression.sql('a = 1\u0007'), 'ILLEGAL_FILTER_EXPRESSION'],
    ['non-string tag', () => FilterExpression.tag(1 as unknown as string), 'INVALID_ARGUMENT'],
    ['non-string SQL', () => FilterExpression.sql(undefined as unknown as string), 'INVALID_ARGUMENT'],
  ];
  for (const [name, fn, code] of BAD) test(`${name} → ${code}`, () => expectCode(fn, code));
});
