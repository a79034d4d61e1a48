import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildChangeInvisibleRequest } from '../../../src/protocol/ack-convert.js';

describe('lite fields on the wire', () => {
  const ref = { group: 'g', topic: 'parent', messageId: 'm', receiptHandle: 'h', liteTopic: 'chat-1' };
  test('ChangeInvisibleDuration carries lite_topic, and suspend only when asked', () => {
    const plain = buildChangeInvisibleRequest(ref, 1000);
    assert.equal(plain.liteTopic, 'chat-1');
    assert.equal(plain.suspend, undefined);
    const suspended = buildChangeInvisibleRequest({ ...ref, suspend: true }, 3000);
    assert.equal(suspended.suspend, true);
    assert.equal(suspended.liteTopic, 'chat-1');
    assert.equal(Number(suspended.invisibleDuration?.seconds), 3);
  });
});
