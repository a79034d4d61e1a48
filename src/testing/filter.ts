/**
 * Subscription filters: TAG expressions (`*`, `a||b`) and SQL92, compiled once per receive request, with
 * the error codes the proxy reports for bad expressions.
 *
 * @packageDocumentation
 */

import { Code, FilterType } from '../gen/apache/rocketmq/v2/definition_pb.js';
import { compileSql92, Sql92Error } from './filter-sql92.js';
import { BrokerStatusError } from './status.js';

/** What a filter can see of a message. */
export interface FilterableMessage {
  readonly tag: string | undefined;
  readonly keys: readonly string[];
  readonly userProperties: Readonly<Record<string, string>>;
}

/** A compiled subscription filter. */
export interface MessageFilter {
  matches(message: FilterableMessage): boolean;
}

/** Matches everything (`*`). */
export const MATCH_ALL: MessageFilter = Object.freeze({ matches: () => true });

/** Parses a TAG expression like `FilterAPI.buildSubscriptionData`: `*`/empty → all, else `a||b||c`. */
export function compileTagFilter(expression: string): MessageFilter {
  const trimmed = expression.trim();
  if (trimmed === '' || trimmed === '*') return MATCH_ALL;
  const tags = new Set(
    trimmed
      .split('||')
      .map((t) => t.trim())
      .filter((t) => t !== ''),
  );
  if (tags.size === 0) return MATCH_ALL;
  return { matches: (m) => m.tag !== undefined && tags.has(m.tag) };
}

/**
 * Compiles a subscription's filter.
 *
 * @throws BrokerStatusError `ILLEGAL_FILTER_EXPRESSION` for an empty SQL expression (the proxy's own
 * check); `INTERNAL_SERVER_ERROR` when SQL filtering is disabled or the SQL does not parse (the broker's
 * `SUBSCRIPTION_PARSE_FAILED`, which the proxy maps to 50001).
 */
export function compileFilter(type: FilterType, expression: string, sqlEnabled: boolean): MessageFilter {
  if (type !== FilterType.SQL) return compileTagFilter(expression);
  if (expression === '') {
    throw new BrokerStatusError(Code.ILLEGAL_FILTER_EXPRESSION, "Expression can't be null! SQL92");
  }
  if (!sqlEnabled) {
    throw new BrokerStatusError(
      Code.INTERNAL_SERVER_ERROR,
      'The broker does not support consumer to filter message by SQL92',
    );
  }
  let sql: ReturnType<typeof compileSql92>;
  try {
    sql = compileSql92(expression);
  } catch (err) {
    if (err instanceof Sql92Error) {
      throw new BrokerStatusError(Code.INTERNAL_SERVER_ERROR, "parse the consumer's subscription failed");
    }
    throw err;
  }
  return {
    matches: (m) =>
      sql.matches((name) => {
        if (name === 'TAGS') return m.tag;
        if (name === 'KEYS') return m.keys.length > 0 ? m.keys.join(' ') : undefined;
        const v = Object.hasOwn(m.userProperties, name) ? m.userProperties[name] : undefined;
        return v === undefined || v === '' ? undefined : v;
      }),
  };
}
