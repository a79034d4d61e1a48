/**
 * The in-process broker's admin (`broker.admin()`): the behaviours `Admin` shows on a real broker
 * (shared body in `test/helpers/admin-behaviours.ts`), run with the real producer and consumer against
 * the in-process broker, plus its own lifecycle, bad input and the typed `UNSUPPORTED` errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AdminApi } from '../../../src/admin/index.js';
import { RocketMQError } from '../../../src/errors.js';
import { InProcessBroker } from '../../../src/testing/index.js';
import { adminBehaviours } from '../../helpers/admin-behaviours.js';

describe('InProcessAdmin (broker.admin())', () => {
  let broker: InProcessBroker;
  let admin: AdminApi;

  before(async () => {
    broker = await InProcessBroker.start({ longPollingMinMs: 0 });
    admin = broker.admin();
    await admin.start();
  });

  after(async () => {
    await admin.shutdown();
    await broker.shutdown();
  });

  adminBehaviours({
    skipReason: () => undefined,
    admin: () => admin,
    clientOptions: () => ({ endpoints: broker.endpoint }),
    awaitMs: 1_000,
    invisibleMs: 10_000,
  });

  test('cluster names the broker as the master at its endpoint', async () => {
    const [b, ...rest] = await admin.cluster();
    assert.deepEqual(rest, []);
    assert.equal(b?.role, 'MASTER');
    assert.equal(b?.address, broker.endpoint);
  });

  test('what the in-process broker does not model fails UNSUPPORTED, naming the operation; nothing changes', async () => {
    await admin.createTopic('adm-unsup', { queues: 4 });
    const unsupported = (op: string) => (e: unknown) => {
      assert.ok(e instanceof RocketMQError);
      assert.equal(e.code, 'UNSUPPORTED');
      assert.match(e.message, new RegExp(`^${op}: `));
      return true;
    };
    await assert.rejects(
      admin.createTopic('adm-unsup2', { readQueues: 2, writeQueues: 4 }),
      unsupported('createTopic'),
    );
    await assert.rejects(admin.createTopic('adm-unsup2', { perm: 'R' }), unsupported('createTopic'));
    await assert.rejects(admin.updateTopic('adm-unsup', { queues: 2 }), unsupported('updateTopic'));
    assert.ok(!(await admin.listTopics()).includes('adm-unsup2'));
    assert.equal((await admin.describeTopic('adm-unsup')).queues.length, 4);
  });

  test('bad input and unknown names fail typed', async () => {
    await assert.rejects(admin.createTopic('%DLQ%x'), { code: 'ILLEGAL_TOPIC' });
    await assert.rejects(admin.createTopic('ok-name', { queues: 0 }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(admin.createTopic('ok-name', { brokers: ['elsewhere'] }), {
      code: 'INVALID_ARGUMENT',
    });
    await assert.rejects(admin.updateTopic('adm-missing', { queues: 2 }), { code: 'TOPIC_NOT_FOUND' });
    await assert.rejects(admin.createGroup('g', { maxDeliveryAttempts: 0 }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(admin.describeGroup('adm-no-group'), { code: 'CONSUMER_GROUP_NOT_FOUND' });
    await assert.rejects(admin.lag('adm-no-group'), { code: 'CONSUMER_GROUP_NOT_FOUND' });
    await assert.rejects(admin.findMessages('adm-unsup', 'k', { begin: 10, end: 5 }), {
      code: 'INVALID_ARGUMENT',
    });
    await assert.rejects(admin.getMessage('adm-unsup', 'nope'), { code: 'ILLEGAL_MESSAGE_ID' });
    await assert.rejects(admin.listTopics({ timeoutMs: -1 }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(admin.listTopics({ signal: AbortSignal.abort() }), (e: unknown) => {
      assert.ok(e instanceof RocketMQError);
      return true;
    });
    assert.ok(!(await admin.listTopics()).includes('ok-name'), 'nothing created by a refused call');
  });

  test('lifecycle: calls need start(), fail CLOSED after shutdown or once the broker is shut down', async () => {
    const b = await InProcessBroker.start();
    const a = b.admin();
    assert.equal(a.state, 'created');
    await assert.rejects(a.listTopics(), { code: 'INVALID_STATE' });
    await a.start();
    await a.start();
    assert.equal(a.state, 'running');
    const other = b.admin();
    await other.start();
    await a.shutdown();
    await a.shutdown();
    assert.equal(a.state, 'closed');
    await assert.rejects(a.listTopics(), { code: 'CLOSED' });
    await assert.rejects(a.start(), { code: 'CLOSED' });
    await b.shutdown();
    await assert.rejects(other.listTopics(), { code: 'CLOSED' });
    other.destroy();
    assert.equal(other.state, 'closed');
  });
});
