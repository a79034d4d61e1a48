/**
 * A JSON reader for the broker's remoting bodies.
 *
 * The broker serialises bodies with fastjson, which writes maps keyed by numbers without quotes
 * (`{0:"127.0.0.1:10911"}`) and maps keyed by objects as the object itself
 * (`{{"brokerName":"b","queueId":0,"topic":"t"}:{…}}`). Neither is valid JSON. This reader accepts both:
 * a number key becomes its decimal text and an object key becomes its canonical `JSON.stringify` text,
 * so callers recover it with `JSON.parse(key)`.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../../errors.js';

class Reader {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): unknown {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) this.fail('trailing characters');
    return v;
  }

  private fail(what: string): never {
    throw new RocketMQError(`Malformed remoting body (${what} at ${this.i})`, 'INTERNAL');
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i] as string)) this.i++;
  }

  private value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === 't' && this.s.startsWith('true', this.i)) return this.literal(4, true);
    if (c === 'f' && this.s.startsWith('false', this.i)) return this.literal(5, false);
    if (c === 'n' && this.s.startsWith('null', this.i)) return this.literal(4, null);
    return this.number();
  }

  private literal<T>(len: number, v: T): T {
    this.i += len;
    return v;
  }

  private number(): number {
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 40));
    if (!m) this.fail('unexpected character');
    this.i += m[0].length;
    return Number(m[0]);
  }

  private string(): string {
    const start = this.i;
    this.i++;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '\\') this.i += 2;
      else if (c === '"') {
        this.i++;
        return JSON.parse(this.s.slice(start, this.i)) as string;
      } else this.i++;
    }
    return this.fail('unterminated string');
  }

  private array(): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.fail('expected , or ]');
    }
  }

  private object(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      const k = this.value();
      const key = typeof k === 'string' ? k : typeof k === 'number' ? String(k) : canonical(k);
      this.ws();
      if (this.s[this.i++] !== ':') this.fail('expected :');
      out[key] = this.value();
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') this.fail('expected , or }');
    }
  }
}

/** JSON text of `v` with object keys sorted, so equal keys compare equal whatever their order. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

/**
 * Parses a remoting body (see the module comment for what is accepted beyond JSON).
 *
 * @throws RocketMQError `INTERNAL` when the text is not readable.
 */
export function parseRemotingJson(text: string): unknown {
  return new Reader(text).parse();
}

/** Parses an optional body; an absent or empty body reads as `{}`. */
export function parseBody(body: Uint8Array | undefined): Record<string, unknown> {
  if (body === undefined || body.length === 0) return {};
  const v = parseRemotingJson(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
