/**
 * Bad input to `Admin`: every case fails with a typed `RocketMQError` and nothing is sent where the
 * client can tell (a loopback server records each request; the name server is asked only for the
 * cluster layout when the check needs it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Admin } from '../../../src/admin/index.js';
import { RequestCode } from '../../../src/admin/remoting/codes.js';
import { RocketMQError } from '../../../src/errors.js';
import { FakeRemotingServer } from './fake-remoting-server.js';

const CLUSTER = (broker: string) =>
  `{"brokerAddrTable":{"broker-a":{"cluster":"C","brokerName":"broker-a","brokerAddrs":{0:"${broker}"}}},"clusterAddrTable":{"C":["broker-a"]}}`;

describe('Admin bad input', () => {
  let brokerSrv: FakeRemotingServer;
  let namesrv: FakeRemotingServer;
  let admin: Admin;

  before(async () => {
    brokerSrv = await FakeRemotingServer.start(() => ({}));
    namesrv = await FakeRemotingServer.start((req) =>
      req.code === RequestCode.GET_BROKER_CLUSTER_INFO ? { body: CLUSTER(brokerSrv.address) } : {},
    );
    admin = new Admin({ namesrv: namesrv.address, requestTimeoutMs: 5_000 });
    await admin.start();
  });

  after(async () => {
    admin.destroy();
    await brokerSrv.stop();
    await namesrv.stop();
  });

  async function refused(call: () => Promise<unknown>, code: string): Promise<void> {
    const before = { b: brokerSrv.requests.length, n: namesrv.requests.length };
    await assert.rejects(call(), (e: unknown) => {
      assert.ok(e instanceof RocketMQError, String(e));
      assert.equal(e.code, code, e.message);
      return true;
    });
    assert.equal(brokerSrv.requests.length, before.b, 'nothing sent to the broker');
    assert.equal(namesrv.requests.length, before.n, 'nothing sent to the name server');
  }

  test('topic names: empty, too long, bad characters, reserved prefixes, system topics → ILLEGAL_TOPIC', async () => {
    for (const name of [
      '',
      'x'.repeat(128),
      'a b',
      'a/b',
      'a|b',
      'ünï',
      '%RETRY%g',
      '%DLQ%g',
      'rmq_sys_x',
      'TBW102',
      'SCHEDULE_TOPIC_XXXX',
    ]) {
      await refused(() => admin.createTopic(name), 'ILLEGAL_TOPIC');
      await refused(() => admin.updateTopic(name, { queues: 2 }), 'ILLEGAL_TOPIC');
    }
    await refused(() => admin.createTopic(42 as unknown as string), 'ILLEGAL_TOPIC');
  });

  test('group names: empty, too long, bad characters, reserved prefixes, system groups → ILLEGAL_CONSUMER_GROUP', async () => {
    for (const name of [
      '',
      'g'.repeat(256),
      'g g',
      '%RETRY%g',
      '%DLQ%g',
      'rmq_sys_g',
      'CID_RMQ_SYS_x',
      'TOOLS_CONSUMER',
    ]) {
      await refused(() => admin.createGroup(name), 'ILLEGAL_CONSUMER_GROUP');
      await refused(() => admin.deleteGroup(name), 'ILLEGAL_CONSUMER_GROUP');
      await refused(() => admin.lag(name), 'ILLEGAL_CONSUMER_GROUP');
    }
  });

  test('a 127-character topic and a 255-character group are accepted by the checks', async () => {
    const r = await admin.createTopic('t'.repeat(127));
    assert.equal(r.length, 1);
    assert.equal(r[0]?.ok, true);
    const g = await admin.createGroup('g'.repeat(255));
    assert.equal(g[0]?.ok, true);
  });

  test('queue counts 0, negative, fractional, above the limit → INVALID_ARGUMENT', async () => {
    for (const q of [0, -1, 1.5, 1025, Number.NaN]) {
      await refused(() => admin.createTopic('ok-topic', { queues: q }), 'INVALID_ARGUMENT');
      await refused(() => admin.createTopic('ok-topic', { readQueues: q }), 'INVALID_ARGUMENT');
      await refused(() => admin.createTopic('ok-topic', { writeQueues: q }), 'INVALID_ARGUMENT');
    }
  });

  test('an unknown permission or message type → INVALID_ARGUMENT', async () => {
    await refused(() => admin.createTopic('ok-topic', { perm: 'RWX' as never }), 'INVALID_ARGUMENT');
    await refused(() => admin.createTopic('ok-topic', { type: 'LITE' as never }), 'INVALID_ARGUMENT');
  });

  test('deleting a system topic → ILLEGAL_TOPIC, nothing sent', async () => {
    for (const name of ['TBW102', 'RMQ_SYS_TRANS_HALF_TOPIC', 'rmq_sys_wheel', 'SCHEDULE_TOPIC_XXXX']) {
      await refused(() => admin.deleteTopic(name), 'ILLEGAL_TOPIC');
    }
  });

  test('a time range ending before it begins, and bad timestamps → INVALID_ARGUMENT', async () => {
    await refused(() => admin.findMessages('ok-topic', 'k', { begin: 2000, end: 1000 }), 'INVALID_ARGUMENT');
    await refused(() => admin.findMessages('ok-topic', 'k', { begin: -1 }), 'INVALID_ARGUMENT');
    await refused(() => admin.resetOffset('ok-group', 'ok-topic', -5), 'INVALID_ARGUMENT');
    await refused(() => admin.resetOffset('ok-group', 'ok-topic', 1.5), 'INVALID_ARGUMENT');
  });

  test('bad group options → INVALID_ARGUMENT', async () => {
    await refused(() => admin.createGroup('ok-group', { maxDeliveryAttempts: 0 }), 'INVALID_ARGUMENT');
    await refused(
      () => admin.createGroup('ok-group', { retryPolicy: { kind: 'customized', delaysMs: [] } }),
      'INVALID_ARGUMENT',
    );
    await refused(
      () =>
        admin.createGroup('ok-group', {
          retryPolicy: { kind: 'exponential', initialMs: 5000, maxMs: 10, multiplier: 2 },
        }),
      'INVALID_ARGUMENT',
    );
  });

  test('a bad message id or key → typed error, nothing sent', async () => {
    await refused(() => admin.getMessage('ok-topic', 'not-an-id'), 'ILLEGAL_MESSAGE_ID');
    await refused(() => admin.findMessages('ok-topic', 'two words'), 'ILLEGAL_MESSAGE_KEY');
  });

  test('an unknown broker name → INVALID_ARGUMENT after asking only the name server', async () => {
    const b = brokerSrv.requests.length;
    await assert.rejects(admin.createTopic('ok-topic', { brokers: ['broker-z'] }), {
      code: 'INVALID_ARGUMENT',
    });
    assert.equal(brokerSrv.requests.length, b, 'nothing sent to the broker');
  });

  test('bad options and a per-call timeout bound', async () => {
    assert.throws(() => new Admin({ namesrv: '' }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => new Admin({ namesrv: 'nohost' }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => new Admin({ namesrv: '127.0.0.1:1', requestTimeoutMs: 0 }), {
      code: 'INVALID_ARGUMENT',
    });
    await refused(() => admin.listTopics({ timeoutMs: -1 }), 'INVALID_ARGUMENT');
    const ctl = new AbortController();
    ctl.abort();
    await refused(() => admin.listTopics({ signal: ctl.signal }), 'ABORTED');
  });
});

describe('Admin results and lifecycle', () => {
  test('a partial failure across brokers reports each broker', async () => {
    const good = await FakeRemotingServer.start(() => ({}));
    const bad = await FakeRemotingServer.start(() => ({ code: 1, remark: 'disk full' }));
    const ns = await FakeRemotingServer.start(() => ({
      body: `{"brokerAddrTable":{"a":{"cluster":"C","brokerName":"a","brokerAddrs":{0:"${good.address}"}},"b":{"cluster":"C","brokerName":"b","brokerAddrs":{0:"${bad.address}"}}}}`,
    }));
    const admin = new Admin({ namesrv: ns.address });
    try {
      await admin.start();
      const r = await admin.createTopic('partial', { type: 'FIFO', queues: 2 });
      assert.deepEqual(
        r.map((x) => [x.brokerName, x.ok, x.ok ? '' : x.code]),
        [
          ['a', true, ''],
          ['b', false, 'INTERNAL_ERROR'],
        ],
      );
      const sent = good.requests.find((q) => q.code === RequestCode.UPDATE_AND_CREATE_TOPIC);
      assert.equal(sent?.extFields.attributes, '+message.type=FIFO');
      assert.equal(sent?.extFields.readQueueNums, '2');
    } finally {
      admin.destroy();
      await Promise.all([good.stop(), bad.stop(), ns.stop()]);
    }
  });

  test('calls before start are INVALID_STATE; a silent server fails the call with TIMEOUT; after shutdown CLOSED', async () => {
    const silent = await FakeRemotingServer.start(() => ({ silent: true }));
    const admin = new Admin({ namesrv: silent.address, requestTimeoutMs: 200 });
    try {
      await assert.rejects(admin.listTopics(), { code: 'INVALID_STATE' });
      await assert.rejects(admin.start({ timeoutMs: 300 }), { code: 'TIMEOUT' });
      assert.equal(admin.state, 'created');
      await admin.shutdown({ timeoutMs: 100 });
      await assert.rejects(admin.listTopics(), { code: 'CLOSED' });
      await assert.rejects(admin.start(), { code: 'CLOSED' });
    } finally {
      admin.destroy();
      await silent.stop();
    }
  });

  test('signing: AccessKey and an HmacSHA1 Signature over the sorted ext field values and body', async () => {
    const { createHmac } = await import('node:crypto');
    const ns = await FakeRemotingServer.start(() => ({ body: '{"topicList":["b","a"]}' }));
    const admin = new Admin({ namesrv: ns.address, credentials: { accessKey: 'ak', accessSecret: 'sk' } });
    try {
      await admin.start();
      assert.deepEqual(await admin.listTopics(), ['a', 'b']);
      const req = ns.requests.at(-1);
      assert.equal(req?.extFields.AccessKey, 'ak');
      const expected = createHmac('sha1', 'sk').update('ak').digest('base64');
      assert.equal(req?.extFields.Signature, expected);
    } finally {
      admin.destroy();
      await ns.stop();
    }
  });
});
