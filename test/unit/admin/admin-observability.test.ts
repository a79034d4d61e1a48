/**
 * `Admin` observability: each call is logged at debug (operation, duration, outcome code) through the
 * `logger` option, and makes one `rocketmq.admin <operation>` span, ERROR with `error.type` on failure.
 * A loopback server stands in for the name server and the broker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import { Admin } from '../../../src/admin/index.js';
import { RequestCode } from '../../../src/admin/remoting/codes.js';
import type { LogFields } from '../../../src/observability/logger.js';
import { installOtel, type OtelHarness } from '../../helpers/otel.js';
import { FakeRemotingServer } from './fake-remoting-server.js';

const CLUSTER = (broker: string) =>
  `{"brokerAddrTable":{"broker-a":{"cluster":"C","brokerName":"broker-a","brokerAddrs":{0:"${broker}"}}},"clusterAddrTable":{"C":["broker-a"]}}`;

describe('Admin logger and spans', () => {
  let brokerSrv: FakeRemotingServer;
  let namesrv: FakeRemotingServer;
  let otel: OtelHarness;
  const logs: Array<{ level: string; msg: string; fields: LogFields | undefined }> = [];
  let admin: Admin;

  before(async () => {
    otel = installOtel();
    brokerSrv = await FakeRemotingServer.start(() => ({}));
    namesrv = await FakeRemotingServer.start((req) =>
      req.code === RequestCode.GET_BROKER_CLUSTER_INFO ? { body: CLUSTER(brokerSrv.address) } : {},
    );
    const log = (level: string) => (msg: string, fields?: LogFields) => logs.push({ level, msg, fields });
    admin = new Admin({
      namesrv: namesrv.address,
      requestTimeoutMs: 5_000,
      logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    });
    await admin.start();
  });

  after(async () => {
    admin.destroy();
    await brokerSrv.stop();
    await namesrv.stop();
    await otel.uninstall();
  });

  test('a call that succeeds: one debug line and one span with its operation, status unset', async () => {
    logs.length = 0;
    await admin.cluster();
    assert.deepEqual(
      logs.map((l) => [l.level, l.msg, l.fields?.operation]),
      [['debug', 'admin call', 'cluster']],
    );
    assert.equal(typeof logs[0]?.fields?.durationMs, 'number');
    const [span, ...more] = otel.spans().filter((s) => s.name === 'rocketmq.admin cluster');
    assert.deepEqual(more, []);
    assert.equal(span?.attributes['messaging.rocketmq.admin.operation'], 'cluster');
    assert.equal(span?.attributes['messaging.system'], 'rocketmq');
    assert.equal(span?.status.code, SpanStatusCode.UNSET);
  });

  test('a call that fails: a debug line with the code, and an ERROR span with error.type', async () => {
    logs.length = 0;
    await assert.rejects(admin.createTopic('%DLQ%x'), { code: 'ILLEGAL_TOPIC' });
    assert.deepEqual(
      logs.map((l) => [l.level, l.msg, l.fields?.operation, l.fields?.code]),
      [['debug', 'admin call failed', 'createTopic', 'ILLEGAL_TOPIC']],
    );
    const [span] = otel.spans().filter((s) => s.name === 'rocketmq.admin createTopic');
    assert.equal(span?.status.code, SpanStatusCode.ERROR);
    assert.equal(span?.attributes['error.type'], 'ILLEGAL_TOPIC');
  });

  test('a logger that is not an object is refused', () => {
    assert.throws(() => new Admin({ namesrv: namesrv.address, logger: 'x' as never }), {
      code: 'INVALID_ARGUMENT',
    });
  });
});
