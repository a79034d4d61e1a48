/**
 * A minimal protobuf wire writer for the hot request types: sizes are computed first, then the fields
 * are written into ONE buffer of exactly that size (no growth, no copies). It knows only what those
 * encoders need: varints, length-delimited bytes and strings, and nested messages by their size.
 *
 * @packageDocumentation
 */

/** Wire types (protobuf encoding spec). */
export const WIRE_VARINT = 0;
export const WIRE_LEN = 2;

/** Bytes of `value` (a non-negative integer below 2^53) as a varint. */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let size = 4;
  let rest = Math.floor(value / 0x10000000);
  while (rest > 0) {
    size++;
    rest = Math.floor(rest / 0x80);
  }
  return size;
}

/** Bytes of an int32 field's value: negative values take 10 bytes (sign-extended to 64 bits). */
export function int32Size(value: number): number {
  return value < 0 ? 10 : varintSize(value);
}

/** Bytes of a tag (field number and wire type). */
export function tagSize(field: number): number {
  return varintSize(field << 3);
}

/** Bytes of a length-delimited field carrying `length` bytes, tag included. */
export function lenFieldSize(field: number, length: number): number {
  return tagSize(field) + varintSize(length) + length;
}

/** Writes into a buffer allocated with the exact size of the message. */
export class ProtoWriter {
  readonly buffer: Buffer;
  #pos = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  /** Bytes written so far. */
  get position(): number {
    return this.#pos;
  }

  varint(value: number): void {
    const buf = this.buffer;
    let v = value;
    while (v >= 0x80) {
      buf[this.#pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[this.#pos++] = v;
  }

  /** An int32 value; a negative one as its 64-bit two's complement (10 bytes). */
  int32(value: number): void {
    if (value >= 0) {
      this.varint(value);
      return;
    }
    let low = value >>> 0; // low 32 bits
    for (let i = 0; i < 4; i++) {
      this.buffer[this.#pos++] = (low & 0x7f) | 0x80;
      low >>>= 7;
    }
    // bits 28..31 of the low word, then the all-ones high word.
    this.buffer[this.#pos++] = (low & 0x0f) | 0x70 | 0x80;
    for (let i = 0; i < 4; i++) this.buffer[this.#pos++] = 0xff;
    this.buffer[this.#pos++] = 0x01;
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** A length-delimited field of raw bytes. */
  bytes(field: number, value: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.varint(value.byteLength);
    this.buffer.set(value, this.#pos);
    this.#pos += value.byteLength;
  }

  /** A length-delimited field of a string whose UTF-8 size the caller has computed. */
  string(field: number, value: string, utf8Length: number): void {
    this.tag(field, WIRE_LEN);
    this.varint(utf8Length);
    if (utf8Length > 0) this.#pos += this.buffer.write(value, this.#pos, utf8Length, 'utf8');
  }

  /** The header of a nested message of `length` bytes; its fields follow. */
  begin(field: number, length: number): void {
    this.tag(field, WIRE_LEN);
    this.varint(length);
  }
}
