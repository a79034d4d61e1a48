/**
 * A SQL92 filter evaluator for the in-process broker, written to follow RocketMQ's own dialect
 * (`filter/…/SelectorParser.jj`, adapted from ActiveMQ): comparisons `= <> < > <= >=`, `AND`/`OR`/`NOT`,
 * `[NOT] IN ('a', …)`, `[NOT] BETWEEN x AND y`, `IS [NOT] NULL`, `[NOT] CONTAINS|STARTSWITH|ENDSWITH 'x'`,
 * string/numeric/boolean/NULL literals and parentheses. Semantics match the broker's:
 *
 * - three-valued logic: a missing property yields NULL; a filter matches only when it evaluates to TRUE;
 * - property values are strings; compared with a numeric literal they are parsed as that literal's type
 *   (an integer literal needs an integer property value); `<`/`>` between two strings compares them as doubles;
 * - an evaluation error (e.g. a non-numeric value compared with a number) means "no match";
 * - like the original grammar, `NOT` binds tighter than comparisons: write `NOT (a = 1)`.
 *
 * @packageDocumentation
 */

import { type Keyword, Sql92Error, type Token, tokenize } from './sql92-lexer.js';

export { Sql92Error } from './sql92-lexer.js';

type NumKind = 'int' | 'long' | 'double';
interface Num {
  readonly kind: NumKind;
  readonly value: number;
}
type Value = null | boolean | string | Num;

type Node =
  | { readonly t: 'const'; readonly v: Value }
  | { readonly t: 'prop'; readonly name: string }
  | { readonly t: 'and' | 'or'; readonly l: Node; readonly r: Node }
  | { readonly t: 'not' | 'boolcast' | 'neg' | 'isnull'; readonly e: Node }
  | { readonly t: 'cmp'; readonly op: '=' | '>' | '>=' | '<' | '<='; readonly l: Node; readonly r: Node }
  | { readonly t: 'in'; readonly name: string; readonly list: readonly string[]; readonly not: boolean }
  | {
      readonly t: 'str';
      readonly op: 'CONTAINS' | 'STARTSWITH' | 'ENDSWITH';
      readonly e: Node;
      readonly s: string;
      readonly not: boolean;
    };

/** Looks up a message property by name; `undefined` when absent. */
export type PropertyLookup = (name: string) => string | undefined;

/** A compiled filter. */
export interface Sql92Filter {
  /** The source expression. */
  readonly expression: string;
  /** True when the expression evaluates to TRUE for the given properties (errors and NULL → false). */
  matches(lookup: PropertyLookup): boolean;
}

class Sql92EvalError extends Error {}

const isNum = (v: Value): v is Num => typeof v === 'object' && v !== null;
const isBooleanNode = (n: Node): boolean =>
  n.t === 'const' ? n.v === null || typeof n.v === 'boolean' : n.t !== 'prop' && n.t !== 'neg';

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

function numberLiteral(text: string, kind: 'decimal' | 'float'): Num {
  if (kind === 'float') return { kind: 'double', value: Number(text) };
  const long = /[lL]$/.test(text);
  const value = Number(long ? text.slice(0, -1) : text);
  return { kind: !long && value >= INT_MIN && value <= INT_MAX ? 'int' : 'long', value };
}

class Parser {
  #i = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Node {
    const node = this.#asBoolean(this.#or());
    const t = this.#peek();
    if (t.kind !== 'eof') throw new Sql92Error(`Unexpected token at ${t.pos}`);
    return node;
  }

  #peek(offset = 0): Token {
    return this.tokens[Math.min(this.#i + offset, this.tokens.length - 1)]!;
  }
  #next(): Token {
    const t = this.#peek();
    if (t.kind !== 'eof') this.#i++;
    return t;
  }
  #isKw(k: Keyword, offset = 0): boolean {
    const t = this.#peek(offset);
    return t.kind === 'keyword' && t.value === k;
  }
  #isOp(op: string): boolean {
    const t = this.#peek();
    return t.kind === 'op' && t.value === op;
  }
  #expectKw(k: Keyword): void {
    if (!this.#isKw(k)) throw new Sql92Error(`Expected ${k} at ${this.#peek().pos}`);
    this.#i++;
  }
  #expectOp(op: string): void {
    if (!this.#isOp(op)) throw new Sql92Error(`Expected '${op}' at ${this.#peek().pos}`);
    this.#i++;
  }
  #string(): string {
    const t = this.#next();
    if (t.kind !== 'string') throw new Sql92Error(`Expected a string literal at ${t.pos}`);
    return t.value;
  }

  #asBoolean(n: Node): Node {
    if (isBooleanNode(n)) return n;
    if (n.t === 'prop') return { t: 'boolcast', e: n };
    throw new Sql92Error('Expression will not result in a boolean value');
  }

  #or(): Node {
    let left = this.#and();
    while (this.#isKw('OR')) {
      this.#i++;
      left = { t: 'or', l: this.#asBoolean(left), r: this.#asBoolean(this.#and()) };
    }
    return left;
  }

  #and(): Node {
    let left = this.#equality();
    while (this.#isKw('AND')) {
      this.#i++;
      left = { t: 'and', l: this.#asBoolean(left), r: this.#asBoolean(this.#equality()) };
    }
    return left;
  }

  #equality(): Node {
    let left = this.#comparison();
    for (;;) {
      if (this.#isOp('=') || this.#isOp('<>')) {
        const op = (this.#next() as { value: string }).value;
        const right = this.#comparison();
        checkEqualOperands(left, right);
        const eq: Node = { t: 'cmp', op: '=', l: left, r: right };
        left = op === '=' ? eq : { t: 'not', e: eq };
      } else if (this.#isKw('IS') && this.#isKw('NULL', 1)) {
        this.#i += 2;
        left = { t: 'isnull', e: left };
      } else if (this.#isKw('IS') && this.#isKw('NOT', 1)) {
        this.#i += 2;
        this.#expectKw('NULL');
        left = { t: 'not', e: { t: 'isnull', e: left } };
      } else {
        return left;
      }
    }
  }

  #comparison(): Node {
    let left = this.#unary();
    for (;;) {
      const t = this.#peek();
      if (t.kind === 'op' && (t.value === '>' || t.value === '>=' || t.value === '<' || t.value === '<=')) {
        this.#i++;
        const right = this.#unary();
        checkLessThanOperand(left);
        checkLessThanOperand(right);
        left = { t: 'cmp', op: t.value, l: left, r: right };
        continue;
      }
      const not = this.#isKw('NOT');
      const at = not ? 1 : 0;
      if (this.#isKw('CONTAINS', at) || this.#isKw('STARTSWITH', at) || this.#isKw('ENDSWITH', at)) {
        this.#i += at;
        const op = (this.#next() as { value: 'CONTAINS' | 'STARTSWITH' | 'ENDSWITH' }).value;
        left = { t: 'str', op, e: left, s: this.#string(), not };
        continue;
      }
      if (this.#isKw('BETWEEN', at)) {
        this.#i += at + 1;
        const low = this.#unary();
        this.#expectKw('AND');
        const high = this.#unary();
        left = between(left, low, high, not);
        continue;
      }
      if (this.#isKw('IN', at)) {
        this.#i += at + 1;
        if (left.t !== 'prop') throw new Sql92Error('Expected a property for In expression');
        this.#expectOp('(');
        const list = [this.#string()];
        while (this.#isOp(',')) {
          this.#i++;
          list.push(this.#string());
        }
        this.#expectOp(')');
        left = { t: 'in', name: left.name, list, not };
        continue;
      }
      return left;
    }
  }

  #unary(): Node {
    if (this.#isOp('+')) {
      this.#i++;
      return this.#unary();
    }
    if (this.#isOp('-')) {
      this.#i++;
      const e = this.#unary();
      if (e.t === 'const' && isNum(e.v)) return { t: 'const', v: { kind: e.v.kind, value: -e.v.value } };
      return { t: 'neg', e };
    }
    if (this.#isKw('NOT')) {
      this.#i++;
      return { t: 'not', e: this.#asBoolean(this.#unary()) };
    }
    return this.#primary();
  }

  #primary(): Node {
    const t = this.#next();
    switch (t.kind) {
      case 'string':
        return { t: 'const', v: t.value };
      case 'decimal':
      case 'float':
        return { t: 'const', v: numberLiteral(t.value, t.kind) };
      case 'id':
        return { t: 'prop', name: t.value };
      case 'keyword':
        if (t.value === 'TRUE') return { t: 'const', v: true };
        if (t.value === 'FALSE') return { t: 'const', v: false };
        if (t.value === 'NULL') return { t: 'const', v: null };
        break;
      case 'op':
        if (t.value === '(') {
          const inner = this.#or();
          this.#expectOp(')');
          return inner;
        }
        break;
      case 'eof':
        throw new Sql92Error('Unexpected end of expression');
    }
    throw new Sql92Error(`Unexpected token at ${t.pos}`);
  }
}

function checkLessThanOperand(n: Node): void {
  if (n.t === 'const') {
    if (isNum(n.v)) return;
    throw new Sql92Error('Value cannot be compared.');
  }
  if (isBooleanNode(n)) throw new Sql92Error('Value cannot be compared.');
}

function checkEqualOperands(l: Node, r: Node): void {
  for (const n of [l, r]) {
    if (n.t === 'const' && n.v === null) throw new Sql92Error("'NULL' cannot be compared.");
  }
  if (l.t === 'const' && r.t === 'const' && typeof l.v === 'boolean' && typeof r.v !== 'boolean') {
    throw new Sql92Error('Constants of different types cannot be compared.');
  }
}

function between(value: Node, low: Node, high: Node, not: boolean): Node {
  if (low.t === 'const' && high.t === 'const') {
    if (low.v === null || high.v === null) {
      throw new Sql92Error('Illegal values of between, values can not be null!');
    }
    if (javaCompare(high.v, low.v) < 0) {
      throw new Sql92Error('Illegal values of between, left value must less than or equal to right value');
    }
  }
  for (const n of [value, low, high]) checkLessThanOperand(n);
  if (!not) {
    return {
      t: 'and',
      l: { t: 'cmp', op: '>=', l: value, r: low },
      r: { t: 'cmp', op: '<=', l: value, r: high },
    };
  }
  return {
    t: 'or',
    l: { t: 'cmp', op: '<', l: value, r: low },
    r: { t: 'cmp', op: '>', l: value, r: high },
  };
}

/** Java `Integer/Long/Double.valueOf(String)`; throws {@link Sql92EvalError} like a NumberFormatException. */
function parseNumber(s: string, kind: NumKind): Num {
  if (kind === 'double') {
    const m = /^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[fFdD]?$/.exec(s.trim());
    if (m === null) throw new Sql92EvalError(`For input string: "${s}"`);
    return { kind, value: Number(m[0].replace(/[fFdD]$/, '')) };
  }
  if (!/^[+-]?\d+$/.test(s)) throw new Sql92EvalError(`For input string: "${s}"`);
  const value = Number(s);
  if (kind === 'int' && (value < INT_MIN || value > INT_MAX))
    throw new Sql92EvalError(`Out of range: "${s}"`);
  return { kind, value };
}

const javaBoolean = (s: string): boolean => s.toLowerCase() === 'true';
const sign = (a: number, b: number): number => (a < b ? -1 : a > b ? 1 : 0);

/** `ComparisonExpression.__compare` with string conversion enabled (as the broker parses filters). */
function javaCompare(lv: Exclude<Value, null>, rv: Exclude<Value, null>): number {
  if (typeof lv === 'boolean') {
    if (typeof rv === 'boolean') return sign(Number(lv), Number(rv));
    if (typeof rv === 'string') throw new Sql92EvalError('cannot convert a boolean to compare with a string');
    return -1;
  }
  if (typeof lv === 'string') {
    if (typeof rv === 'string') return lv < rv ? -1 : lv > rv ? 1 : 0;
    if (typeof rv === 'boolean') return sign(Number(javaBoolean(lv)), Number(rv));
    return sign(parseNumber(lv, rv.kind).value, rv.value);
  }
  if (typeof rv === 'boolean') return -1;
  if (typeof rv === 'string') return sign(lv.value, parseNumber(rv, lv.kind).value);
  return sign(lv.value, rv.value);
}

function sameValue(lv: Exclude<Value, null>, rv: Exclude<Value, null>): boolean {
  if (isNum(lv) && isNum(rv)) return lv.kind === rv.kind && lv.value === rv.value;
  return lv === rv;
}

function evaluate(n: Node, lookup: PropertyLookup): Value {
  switch (n.t) {
    case 'const':
      return n.v;
    case 'prop':
      return lookup(n.name) ?? null;
    case 'and': {
      const lv = evaluate(n.l, lookup);
      if (lv === false) return false;
      const rv = evaluate(n.r, lookup);
      if (rv === false) return false;
      return lv === null || rv === null ? null : true;
    }
    case 'or': {
      const lv = evaluate(n.l, lookup);
      if (lv === true) return true;
      const rv = evaluate(n.r, lookup);
      if (rv === true) return true;
      return lv === null || rv === null ? null : false;
    }
    case 'not': {
      const v = evaluate(n.e, lookup);
      return v === null ? null : v !== true;
    }
    case 'boolcast': {
      const v = evaluate(n.e, lookup);
      if (v === null) return null;
      return typeof v === 'boolean' ? v : false;
    }
    case 'neg': {
      const v = evaluate(n.e, lookup);
      return isNum(v) ? { kind: v.kind, value: -v.value } : null;
    }
    case 'isnull':
      return evaluate(n.e, lookup) === null;
    case 'cmp':
      return compareNode(n.op, evaluate(n.l, lookup), evaluate(n.r, lookup));
    case 'in': {
      const v = lookup(n.name);
      if (v === undefined) return null;
      return n.list.includes(v) !== n.not;
    }
    case 'str': {
      if (n.s === '') return false;
      const v = evaluate(n.e, lookup);
      if (typeof v !== 'string') return false;
      const hit =
        n.op === 'CONTAINS' ? v.includes(n.s) : n.op === 'STARTSWITH' ? v.startsWith(n.s) : v.endsWith(n.s);
      return hit !== n.not;
    }
  }
}

function compareNode(op: '=' | '>' | '>=' | '<' | '<=', lv: Value, rv: Value): Value {
  if (op === '=') {
    if ((lv === null) !== (rv === null)) return lv === null ? null : false;
    if (lv === null || rv === null) return true;
    if (sameValue(lv, rv)) return true;
    return javaCompare(lv, rv) === 0;
  }
  if (lv === null || rv === null) return null;
  let answer: number;
  if (typeof lv === 'string' && typeof rv === 'string') {
    answer = sign(parseNumber(lv, 'double').value, parseNumber(rv, 'double').value);
  } else {
    answer = javaCompare(lv, rv);
  }
  switch (op) {
    case '>':
      return answer > 0;
    case '>=':
      return answer >= 0;
    case '<':
      return answer < 0;
    case '<=':
      return answer <= 0;
  }
}

/**
 * Compiles a SQL92 filter expression.
 *
 * @throws Sql92Error when the expression is empty, malformed, or uses operands the dialect rejects
 * (e.g. `a > 'x'`, `a = NULL`, `a BETWEEN 5 AND 1`).
 */
export function compileSql92(expression: string): Sql92Filter {
  if (expression.trim() === '') throw new Sql92Error('Expression can not be empty');
  const ast = new Parser(tokenize(expression)).parse();
  return {
    expression,
    matches(lookup: PropertyLookup): boolean {
      try {
        return evaluate(ast, lookup) === true;
      } catch (err) {
        if (err instanceof Sql92EvalError) return false;
        throw err;
      }
    },
  };
}
