/** The remoting JSON reader (fastjson's non-string keys) and the stored-message decoder. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeMessages, decodeProperties, encodeProperties } from '../../../src/admin/message-codec.js';
import { parseRemotingJson } from '../../../src/admin/remoting/json.js';

describe('parseRemotingJson', () => {
  test('numeric keys become their text, object keys their canonical JSON', () => {
    const v = parseRemotingJson(
      '{"a":{0:"x:1",1:"y:2"},"t":{{"topic":"T","queueId":1,"brokerName":"b"}:{"maxOffset":5}}}',
    ) as Record<string, Record<string, unknown>>;
    assert.deepEqual(v.a, { '0': 'x:1', '1': 'y:2' });
    const [key] = Object.keys(v.t ?? {});
    assert.deepEqual(JSON.parse(key ?? '{}'), { brokerName: 'b', queueId: 1, topic: 'T' });
    assert.deepEqual(v.t?.[key ?? ''], { maxOffset: 5 });
  });

  test('strings with escapes, arrays, literals; malformed text is a typed error', () => {
    assert.deepEqual(parseRemotingJson('[1,-2.5e1,"a\\"b\\u00e9",true,false,null]'), [
      1,
      -25,
      'a"bé',
      true,
      false,
      null,
    ]);
    assert.throws(() => parseRemotingJson('{"a":}'), { code: 'INTERNAL' });
    assert.throws(() => parseRemotingJson('{"a":1} x'), { code: 'INTERNAL' });
  });
});

/** Writes a stored-message record field by field. */
function record(topic: string, body: Buffer, props: Record<string, string>, v2 = false): Buffer {
  const parts: Buffer[] = [];
  const i32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    parts.push(b);
  };
  const i64 = (v: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    parts.push(b);
  };
  const i16 = (v: number) => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    parts.push(b);
  };
  const propText = Buffer.from(encodeProperties(props));
  const t = Buffer.from(topic);
  i32(v2 ? -626843477 : -626843481); // magic
  i32(0); // body CRC
  i32(3); // queue id
  i32(0); // flag
  i64(42n); // queue offset
  i64(4096n); // commit log offset
  i32(0); // sysFlag
  i64(1000n); // born
  parts.push(Buffer.from([10, 0, 0, 1]));
  i32(5555);
  i64(2000n); // stored
  parts.push(Buffer.from([127, 0, 0, 1]));
  i32(10911);
  i32(2); // reconsume times
  i64(0n); // prepared transaction offset
  i32(body.length);
  parts.push(body);
  if (v2) i16(t.length);
  else parts.push(Buffer.from([t.length]));
  parts.push(t);
  i16(propText.length);
  parts.push(propText);
  const rest = Buffer.concat(parts);
  const size = Buffer.alloc(4);
  size.writeInt32BE(rest.length + 4);
  return Buffer.concat([size, rest]);
}

describe('decodeMessages', () => {
  test('decodes consecutive v1 and v2 records with hosts, offsets, body and properties', () => {
    const buf = Buffer.concat([
      record('orders', Buffer.from('hello'), { UNIQ_KEY: 'AB', KEYS: 'k1 k2', u: 'v' }),
      record('t2', Buffer.from('x'), { TAGS: 't' }, true),
    ]);
    const [a, b] = decodeMessages(buf);
    assert.equal(a?.topic, 'orders');
    assert.equal(a?.queueId, 3);
    assert.equal(a?.queueOffset, 42);
    assert.equal(a?.commitLogOffset, 4096);
    assert.equal(a?.bornHost, '10.0.0.1:5555');
    assert.equal(a?.storeHost, '127.0.0.1:10911');
    assert.equal(a?.storeTimestamp, 2000);
    assert.equal(a?.reconsumeTimes, 2);
    assert.equal(a?.body.toString(), 'hello');
    assert.deepEqual(a?.properties, { UNIQ_KEY: 'AB', KEYS: 'k1 k2', u: 'v' });
    assert.equal(b?.topic, 't2');
    assert.deepEqual(b?.properties, { TAGS: 't' });
  });

  test('a record with a bad magic or size is a typed error', () => {
    const r = record('t', Buffer.from('x'), {});
    r.writeInt32BE(7, 4);
    assert.throws(() => decodeMessages(r), { code: 'INTERNAL' });
    assert.deepEqual(decodeProperties('a\u0001b\u0002c\u0001\u0002'), { a: 'b', c: '' });
  });
});
