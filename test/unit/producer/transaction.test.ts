import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import { createSendReceipt, type SendReceipt } from '../../../src/model/send-receipt.js';
import { Transaction, type TransactionHost } from '../../../src/producer/transaction.js';

function receipt(n: number): SendReceipt {
  return createSendReceipt({
    messageId: `m${n}`,
    transactionId: `tx${n}`,
    offset: n,
    queue: { topic: 't', brokerName: 'b', queueId: 0 },
    endpoint: 'ipv4:127.0.0.1:8081',
  });
}

function host(failEnds = new Set<string>()) {
  let n = 0;
  const ended: string[] = [];
  const h: TransactionHost = {
    sendHalf: async () => receipt(++n),
    end: async (r, decision) => {
      if (failEnds.has(r.messageId)) {
        failEnds.delete(r.messageId);
        throw new RocketMQError('boom', 'INTERNAL_SERVER_ERROR');
      }
      ended.push(`${r.messageId}:${decision}`);
    },
  };
  return { h, ended };
}

describe('Transaction', () => {
  test('several messages, each ended once at commit', async () => {
    const { h, ended } = host();
    const tx = new Transaction(h);
    await tx.send({ topic: 't', body: 'a' });
    await tx.send({ topic: 't', body: 'b' });
    assert.equal(tx.receipts.length, 2);
    await tx.commit();
    assert.deepEqual(ended.sort(), ['m1:COMMIT', 'm2:COMMIT']);
    assert.equal(tx.state, 'committed');
    await tx.commit();
    assert.equal(ended.length, 2, 'a second commit is a no-op');
  });

  test('nothing sent → INVALID_STATE; other decision after one → INVALID_STATE', async () => {
    const { h } = host();
    const empty = new Transaction(h);
    await assert.rejects(empty.commit(), { code: 'INVALID_STATE' });
    await assert.rejects(empty.rollback(), { code: 'INVALID_STATE' });
    const tx = new Transaction(h);
    await tx.send({ topic: 't', body: 'a' });
    await tx.rollback();
    assert.equal(tx.state, 'rolled-back');
    await assert.rejects(tx.commit(), { code: 'INVALID_STATE' });
    await assert.rejects(tx.send({ topic: 't', body: 'b' }), { code: 'INVALID_STATE' });
  });

  test('commit while a send is in flight → INVALID_STATE', async () => {
    let release!: () => void;
    const h: TransactionHost = {
      sendHalf: () =>
        new Promise((resolve) => {
          release = () => resolve(receipt(1));
        }),
      end: async () => {},
    };
    const tx = new Transaction(h);
    const sending = tx.send({ topic: 't', body: 'a' });
    await assert.rejects(tx.commit(), { code: 'INVALID_STATE' });
    release();
    await sending;
    await tx.commit();
  });

  test('a partial failure rejects; retrying the same decision ends only the rest', async () => {
    const { h, ended } = host(new Set(['m2']));
    const tx = new Transaction(h);
    await tx.send({ topic: 't', body: 'a' });
    await tx.send({ topic: 't', body: 'b' });
    await assert.rejects(tx.commit(), { code: 'INTERNAL_SERVER_ERROR' });
    assert.equal(tx.state, 'ending');
    await assert.rejects(tx.rollback(), { code: 'INVALID_STATE' });
    await tx.commit();
    assert.deepEqual(ended.sort(), ['m1:COMMIT', 'm2:COMMIT']);
    assert.equal(tx.state, 'committed');
  });

  test('concurrent commits share one end', async () => {
    const { h, ended } = host();
    const tx = new Transaction(h);
    await tx.send({ topic: 't', body: 'a' });
    await Promise.all([tx.commit(), tx.commit()]);
    assert.deepEqual(ended, ['m1:COMMIT']);
  });
});
