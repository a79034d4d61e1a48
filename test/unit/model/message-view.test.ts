import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { MessageView } from '../../../src/model/message-view.js';

const view = (body: Buffer, extra: Partial<ConstructorParameters<typeof MessageView>[0]> = {}) =>
  new MessageView({ messageId: 'ID1', topic: 'orders', body, endpoint: 'ipv4:127.0.0.1:8081', ...extra });

describe('MessageView', () => {
  test('defaults: deliveryAttempt 1, epoch born time, empty collections, not corrupted', () => {
    const v = view(Buffer.from('x'));
    assert.equal(v.deliveryAttempt, 1);
    assert.equal(v.bornTimestamp.getTime(), 0);
    assert.deepEqual(v.keys, []);
    assert.deepEqual(v.properties, {});
    assert.equal(v.corrupted, false);
    assert.equal(v.receiptHandle, '');
    assert.equal('tag' in v, false, 'absent optional fields are not own properties');
  });

  test('is frozen, and so are its collections', () => {
    const v = view(Buffer.from('x'), { keys: ['a'], properties: { p: 'q' } });
    assert.ok(Object.isFrozen(v));
    assert.ok(Object.isFrozen(v.keys));
    assert.ok(Object.isFrozen(v.properties));
    assert.throws(() => {
      (v as { topic: string }).topic = 'other';
    }, TypeError);
  });

  test('util.inspect shows the body cut to 48 bytes with the total size', () => {
    const v = view(Buffer.alloc(10_000, 0xab), { tag: 'created' });
    const text = inspect(v);
    assert.match(text, /^MessageView \{/);
    assert.match(text, /tag: 'created'/);
    assert.match(text, /<Buffer 10000 bytes: (ab ){47}ab \.\.\. 9952 more bytes>/);
    assert.ok(text.length < 1000, `inspect output is ${text.length} characters`);
  });

  test('util.inspect of a short body is not cut', () => {
    assert.match(inspect(view(Buffer.from('hi'))), /<Buffer 2 bytes: 68 69>/);
  });

  test('toJSON: body in base64, bigint offset as a string', () => {
    const v = view(Buffer.from('hello'), { queueOffset: 12345678901234567n });
    const json = JSON.parse(JSON.stringify(v)) as Record<string, unknown>;
    assert.equal(json.body, Buffer.from('hello').toString('base64'));
    assert.equal(json.queueOffset, '12345678901234567');
    assert.equal(json.messageId, 'ID1');
  });
});
