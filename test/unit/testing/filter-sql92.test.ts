import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileSql92, Sql92Error } from '../../../src/testing/filter-sql92.js';

const props =
  (p: Record<string, string>) =>
  (name: string): string | undefined =>
    Object.hasOwn(p, name) ? p[name] : undefined;

function matches(expr: string, p: Record<string, string>): boolean {
  return compileSql92(expr).matches(props(p));
}

describe('compileSql92: comparisons', () => {
  test('string equality and inequality', () => {
    assert.equal(matches("region = 'eu'", { region: 'eu' }), true);
    assert.equal(matches("region = 'eu'", { region: 'us' }), false);
    assert.equal(matches("region <> 'eu'", { region: 'us' }), true);
    assert.equal(matches("region <> 'eu'", { region: 'eu' }), false);
  });

  test('numeric comparisons parse the property as the literal type', () => {
    assert.equal(matches('a > 5', { a: '10' }), true);
    assert.equal(matches('a > 5', { a: '5' }), false);
    assert.equal(matches('a >= 5', { a: '5' }), true);
    assert.equal(matches('a < 5', { a: '4' }), true);
    assert.equal(matches('a <= 5', { a: '6' }), false);
    assert.equal(matches('a = 5', { a: '5' }), true);
    assert.equal(matches('a > 1.5', { a: '1.75' }), true);
    assert.equal(matches('a > -3', { a: '-2' }), true);
  });

  test('an integer literal needs an integer property value (NumberFormatException → no match)', () => {
    assert.equal(matches('a > 5', { a: '5.5' }), false);
    assert.equal(matches('a < 5', { a: 'abc' }), false);
    assert.equal(matches('a > 5.0', { a: '5.5' }), true);
  });

  test('two properties compare as doubles with < and >', () => {
    assert.equal(matches('a < b', { a: '2', b: '10' }), true);
    assert.equal(matches('a < b', { a: 'x', b: '10' }), false);
  });

  test('boolean literals compare with "true"/"false" property values', () => {
    assert.equal(matches('flag = TRUE', { flag: 'true' }), true);
    assert.equal(matches('flag = TRUE', { flag: 'TRUE' }), true);
    assert.equal(matches('flag = FALSE', { flag: 'true' }), false);
  });
});

describe('compileSql92: logic, NULL and special operators', () => {
  test('AND / OR / NOT with parentheses', () => {
    const e = "(a = '1' OR b = '2') AND NOT (c = '3')";
    assert.equal(matches(e, { a: '1', c: '4' }), true);
    assert.equal(matches(e, { b: '2', c: '3' }), false);
    assert.equal(matches(e, { a: '0', b: '0', c: '0' }), false);
  });

  test('missing properties are NULL: comparisons are unknown, never true', () => {
    assert.equal(matches("a = 'x'", {}), false);
    assert.equal(matches("a <> 'x'", {}), false);
    assert.equal(matches("NOT (a = 'x')", {}), false);
    assert.equal(matches('a > 1', {}), false);
  });

  test('three-valued AND/OR: FALSE AND NULL is false, TRUE OR NULL is true', () => {
    assert.equal(matches("a = 'x' OR b = 'y'", { a: 'x' }), true);
    assert.equal(matches("a = 'x' AND b = 'y'", { a: 'x' }), false);
  });

  test('IS NULL / IS NOT NULL', () => {
    assert.equal(matches('a IS NULL', {}), true);
    assert.equal(matches('a IS NULL', { a: 'v' }), false);
    assert.equal(matches('a IS NOT NULL', { a: 'v' }), true);
    assert.equal(matches('a IS NOT NULL', {}), false);
  });

  test('IN and NOT IN', () => {
    assert.equal(matches("color IN ('red', 'blue')", { color: 'blue' }), true);
    assert.equal(matches("color IN ('red', 'blue')", { color: 'green' }), false);
    assert.equal(matches("color NOT IN ('red', 'blue')", { color: 'green' }), true);
    assert.equal(matches("color NOT IN ('red')", {}), false);
  });

  test('BETWEEN and NOT BETWEEN are inclusive', () => {
    assert.equal(matches('a BETWEEN 2 AND 10', { a: '2' }), true);
    assert.equal(matches('a BETWEEN 2 AND 10', { a: '10' }), true);
    assert.equal(matches('a BETWEEN 2 AND 10', { a: '11' }), false);
    assert.equal(matches('a NOT BETWEEN 2 AND 10', { a: '11' }), true);
    assert.equal(matches('a NOT BETWEEN 2 AND 10', { a: '5' }), false);
  });

  test('CONTAINS / STARTSWITH / ENDSWITH', () => {
    assert.equal(matches("s CONTAINS 'ell'", { s: 'hello' }), true);
    assert.equal(matches("s STARTSWITH 'he'", { s: 'hello' }), true);
    assert.equal(matches("s ENDSWITH 'lo'", { s: 'hello' }), true);
    assert.equal(matches("s NOT CONTAINS 'x'", { s: 'hello' }), true);
    assert.equal(matches("s CONTAINS 'x'", {}), false);
  });

  test('keywords are case-insensitive, strings escape quotes, TAGS is a property', () => {
    assert.equal(matches("TAGS in ('a') and name = 'o''brien'", { TAGS: 'a', name: "o'brien" }), true);
  });

  test('a bare property is a boolean cast: FALSE unless it is a boolean', () => {
    assert.equal(matches('a', { a: 'true' }), false);
  });
});

describe('compileSql92: rejected expressions', () => {
  for (const expr of [
    '',
    '   ',
    'a >',
    "a > 'x'",
    'a = NULL',
    'a BETWEEN 10 AND 1',
    "'x' IN ('x')",
    'a = 1)',
    '(a = 1',
    "a = 'unterminated",
    '5',
    'a # 1',
  ]) {
    test(`rejects ${JSON.stringify(expr)}`, () => {
      assert.throws(() => compileSql92(expr), Sql92Error);
    });
  }
});
