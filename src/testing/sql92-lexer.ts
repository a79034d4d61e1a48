/**
 * Tokenizer for the SQL92 filter dialect of RocketMQ (`filter/…/SelectorParser.jj`): case-insensitive
 * keywords, identifiers `[a-z_$][a-z0-9_$]*`, single-quoted strings with `''` escapes, decimal and
 * floating-point literals, `--` line and `/* *\/` block comments.
 *
 * @packageDocumentation
 */

/** Thrown for any syntax or semantic error of a SQL92 filter expression. */
export class Sql92Error extends Error {
  override name = 'Sql92Error';
}

/** Reserved words of the dialect. */
export const KEYWORDS = [
  'NOT',
  'AND',
  'OR',
  'BETWEEN',
  'IN',
  'TRUE',
  'FALSE',
  'NULL',
  'IS',
  'CONTAINS',
  'STARTSWITH',
  'ENDSWITH',
] as const;

/** One reserved word. */
export type Keyword = (typeof KEYWORDS)[number];

/** A token of the filter language. */
export type Token =
  | { readonly kind: 'keyword'; readonly value: Keyword; readonly pos: number }
  | { readonly kind: 'id'; readonly value: string; readonly pos: number }
  | { readonly kind: 'string'; readonly value: string; readonly pos: number }
  | { readonly kind: 'decimal'; readonly value: string; readonly pos: number }
  | { readonly kind: 'float'; readonly value: string; readonly pos: number }
  | { readonly kind: 'op'; readonly value: string; readonly pos: number }
  | { readonly kind: 'eof'; readonly pos: number };

const KEYWORD_SET: ReadonlySet<string> = new Set(KEYWORDS);
const OPERATORS = ['<>', '>=', '<=', '=', '>', '<', '(', ')', ',', '+', '-'];
const FLOAT = /^(?:\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)/;
const DECIMAL = /^(?:0|[1-9]\d*)[lL]?/;
const IDENT = /^[a-zA-Z_$][a-zA-Z0-9_$]*/;

/**
 * Splits an expression into tokens (ending with an `eof` token).
 *
 * @throws Sql92Error on an unterminated string or comment, or an unexpected character.
 */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (source.startsWith('--', i)) {
      const nl = source.slice(i).search(/[\r\n]/);
      i = nl < 0 ? source.length : i + nl;
      continue;
    }
    if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) throw new Sql92Error(`Unterminated comment at ${i}`);
      i = end + 2;
      continue;
    }
    if (ch === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= source.length) throw new Sql92Error(`Unterminated string literal at ${i}`);
        const c = source[j]!;
        if (c === "'") {
          if (source[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += c;
        j++;
      }
      tokens.push({ kind: 'string', value, pos: i });
      i = j + 1;
      continue;
    }
    const rest = source.slice(i);
    const float = FLOAT.exec(rest);
    if (float !== null) {
      tokens.push({ kind: 'float', value: float[0], pos: i });
      i += float[0].length;
      continue;
    }
    const decimal = DECIMAL.exec(rest);
    if (decimal !== null) {
      if (/^[0-9]/.test(rest.slice(decimal[0].length))) {
        throw new Sql92Error(`Malformed number at ${i}`);
      }
      tokens.push({ kind: 'decimal', value: decimal[0], pos: i });
      i += decimal[0].length;
      continue;
    }
    const ident = IDENT.exec(rest);
    if (ident !== null) {
      const upper = ident[0].toUpperCase();
      if (KEYWORD_SET.has(upper)) tokens.push({ kind: 'keyword', value: upper as Keyword, pos: i });
      else tokens.push({ kind: 'id', value: ident[0], pos: i });
      i += ident[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (op !== undefined) {
      tokens.push({ kind: 'op', value: op, pos: i });
      i += op.length;
      continue;
    }
    throw new Sql92Error(`Unexpected character '${ch}' at ${i}`);
  }
  tokens.push({ kind: 'eof', pos: source.length });
  return tokens;
}
