/**
 * String predicates shared by the model validators. Internal to `src/model`.
 *
 * @packageDocumentation
 * @internal
 */

/**
 * True when `s` contains an ISO control character as Java's `Character.isISOControl` defines them:
 * U+0000–U+001F and U+007F–U+009F. @internal
 */
export function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** True for the empty string or whitespace only (Apache commons `StringUtils.isBlank`). @internal */
export function isBlank(s: string): boolean {
  return s.trim() === '';
}

/** Number of bytes of `s` in UTF-8. @internal */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** `JSON.stringify` of a user value, shortened, for error messages. @internal */
export function quote(s: string, max = 64): string {
  const shown = s.length > max ? `${s.slice(0, max)}…` : s;
  return JSON.stringify(shown);
}

/** A short description of a JS value's type, for error messages. @internal */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Map) return 'Map';
  return typeof value;
}
