/**
 * Server-side message filters of a subscription.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { describeType, hasControlChars, isBlank, quote } from './text.js';

/** How the expression is interpreted: tag list, or SQL92 over properties. */
export type FilterExpressionType = 'TAG' | 'SQL92';

const ALL_TAGS = '*';

function illegal(message: string): RocketMQError {
  return new RocketMQError(message, 'ILLEGAL_FILTER_EXPRESSION');
}

function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string') {
    throw new RocketMQError(`${what} must be a string, got ${describeType(value)}`, 'INVALID_ARGUMENT');
  }
  return value;
}

/**
 * A filter: a tag expression (`*` for all messages, or tags joined with `||`) or a SQL92 expression over
 * message properties (needs `enablePropertyFilter=true` on the broker). Instances are frozen.
 *
 * @example
 * ```ts
 * FilterExpression.all;                  // every message
 * FilterExpression.tag('created||paid'); // messages tagged "created" or "paid"
 * FilterExpression.sql("region = 'eu' AND amount > 100");
 * ```
 */
export class FilterExpression {
  /** Matches every message (tag expression `*`). */
  static readonly all: FilterExpression = new FilterExpression('TAG', ALL_TAGS);

  /** `'TAG'` (tag expression such as `'a||b'` or `'*'`) or `'SQL92'`. */
  readonly type: FilterExpressionType;
  /** The expression as sent to the server (tags trimmed). */
  readonly expression: string;

  private constructor(type: FilterExpressionType, expression: string) {
    this.type = type;
    this.expression = expression;
    Object.freeze(this);
  }

  /**
   * A tag filter: `*`, one tag, or several tags joined with `||` (whitespace around tags is trimmed).
   *
   * @throws RocketMQError `INVALID_ARGUMENT` when not a string; `ILLEGAL_FILTER_EXPRESSION` when blank,
   * with control characters, with an empty tag (`a||`), a tag containing `|`, or `*` mixed with tags.
   */
  static tag(expression: string): FilterExpression {
    const text = requireString(expression, 'tag expression');
    if (isBlank(text))
      throw illegal('tag expression must not be blank (use FilterExpression.all for all messages)');
    if (hasControlChars(text)) throw illegal(`tag expression ${quote(text)} contains control characters`);
    const tags = text.split('||').map((t) => t.trim());
    if (tags.length === 1 && tags[0] === ALL_TAGS) return FilterExpression.all;
    for (const tag of tags) {
      if (tag === '') throw illegal(`tag expression ${quote(text)} has an empty tag`);
      if (tag.includes('|')) throw illegal(`tag expression ${quote(text)}: tags are separated by "||"`);
      if (tag === ALL_TAGS) throw illegal(`tag expression ${quote(text)} mixes "*" with tags`);
    }
    return new FilterExpression('TAG', tags.join('||'));
  }

  /**
   * A SQL92 filter over message properties, e.g. `a > 5 AND b = 'x'`. Parsed by the broker, not here.
   *
   * @throws RocketMQError `INVALID_ARGUMENT` when not a string; `ILLEGAL_FILTER_EXPRESSION` when blank or
   * with control characters other than tab, CR and LF.
   */
  static sql(expression: string): FilterExpression {
    const text = requireString(expression, 'SQL expression');
    if (isBlank(text)) throw illegal('SQL expression must not be blank');
    if (hasControlChars(text.replace(/[\t\r\n]/g, ' '))) {
      throw illegal(`SQL expression ${quote(text)} contains control characters`);
    }
    return new FilterExpression('SQL92', text.trim());
  }

  /** The tags of a TAG filter (`['*']` for all), or `undefined` for SQL. */
  get tags(): readonly string[] | undefined {
    return this.type === 'TAG' ? this.expression.split('||') : undefined;
  }

  /** True when both have the same type and expression. */
  equals(other: FilterExpression): boolean {
    return (
      other instanceof FilterExpression && other.type === this.type && other.expression === this.expression
    );
  }

  /** `tag(<expression>)` or `sql(<expression>)`, for logs. */
  toString(): string {
    return this.type === 'TAG' ? `tag(${this.expression})` : `sql(${this.expression})`;
  }
}
