import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSendReceipt } from '../../../src/model/send-receipt.js';

test('createSendReceipt drops empty transaction id / recall handle and freezes the result', () => {
  const r = createSendReceipt({
    messageId: 'ID',
    transactionId: '',
    recallHandle: 'handle',
    offset: 42,
    queue: { topic: 't', brokerName: 'broker-a', queueId: 3 },
    endpoint: 'ipv4:127.0.0.1:8081',
  });
  assert.deepEqual(r, {
    messageId: 'ID',
    recallHandle: 'handle',
    offset: 42n,
    queue: { topic: 't', brokerName: 'broker-a', queueId: 3 },
    endpoint: 'ipv4:127.0.0.1:8081',
  });
  assert.equal('transactionId' in r, false);
  assert.ok(Object.isFrozen(r) && Object.isFrozen(r.queue));
});
