/**
 * The `x-mq-client-version` header against a REAL proxy: the proxy picks some answers by comparing
 * that string with 5.0.x values. With the header the library sends, a receive whose polling time
 * cannot fit its deadline gets the current answer, `ILLEGAL_POLLING_TIME`; the same request from the
 * same client with our own package version (0.x) in the header gets the pre-5.0.3 answer,
 * `BAD_REQUEST`. Our own version still reaches the server in the settings' user agent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Code } from '../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { RocketMQError } from '../../src/errors.js';
import { ClientCore } from '../../src/protocol/client-core.js';
import { receiveMessages } from '../../src/protocol/receive-convert.js';
import { RpcClient } from '../../src/rpc/call.js';
import { buildRequestMetadata } from '../../src/rpc/metadata.js';
import { PROTOCOL_CLIENT_VERSION, VERSION } from '../../src/version.js';
import type { BrokerHandle } from '../../testcontainers/index.js';
import { releaseSharedBroker, sharedBroker, uniqueName } from '../helpers/broker.js';

describe('client version header (real broker)', () => {
  let broker: BrokerHandle | undefined;
  let skipReason = '';

  before(async () => {
    const b = await sharedBroker();
    if (typeof b === 'string') skipReason = `no RocketMQ broker available: ${b}`;
    else broker = b;
  });
  after(() => releaseSharedBroker());

  test('the header we send gets ILLEGAL_POLLING_TIME; our package version would get BAD_REQUEST', async (t) => {
    if (!broker) return t.skip(skipReason);
    assert.equal(buildRequestMetadata({ clientId: 'c' })['x-mq-client-version'], PROTOCOL_CLIENT_VERSION);
    const topic = uniqueName('ver');
    const group = uniqueName('ver-g');
    await broker.createTopic(topic, 'NORMAL');
    await broker.createConsumerGroup(group);
    const credentials = broker.acl
      ? { accessKey: broker.acl.accessKey, accessSecret: broker.acl.secretKey }
      : undefined;
    const core = new ClientCore({
      clientType: 'simple-consumer',
      accessPoint: broker.endpoint,
      group,
      subscriptions: [{ topic, filter: { type: 'tag', expression: '*' } }],
      ...(credentials ? { credentials } : {}),
    });
    try {
      await core.start({ timeoutMs: 20_000 });
      assert.equal(core.settings.current.userAgent.version, VERSION, 'our own version is in the user agent');
      const queue = (await core.getRoute(topic)).queues.find((q) => q.permission !== 'none');
      assert.ok(queue, 'a readable queue');
      const spec = {
        group,
        queue,
        filter: { type: 'tag' as const, expression: '*' },
        batchSize: 1,
        invisibleDurationMs: 30_000,
        longPollingTimeoutMs: 20_000,
      };
      // A 2 s deadline cannot hold the proxy's minimum polling time (5 s): the proxy refuses at once.
      const refused = (rpc: RpcClient) =>
        receiveMessages(rpc, spec, { timeoutMs: 2000 }).then(
          () => assert.fail('the receive was accepted'),
          (e: unknown) => e,
        );
      const modern = await refused(core.rpc);
      assert.ok(modern instanceof RocketMQError, String(modern));
      assert.equal(modern.code, 'ILLEGAL_POLLING_TIME');
      assert.equal(modern.brokerCode, Code.ILLEGAL_POLLING_TIME, 'the proxy treats us as a current client');

      // The same client id and session, with the package version in the header instead.
      const oldRpc = new RpcClient({
        pool: core.pool,
        clientId: core.clientId,
        clientVersion: VERSION,
        ...(credentials ? { credentials: () => credentials } : {}),
      });
      const old = await refused(oldRpc);
      assert.ok(old instanceof RocketMQError, String(old));
      assert.equal(old.code, 'ILLEGAL_POLLING_TIME', 'the old answer is still understood');
      assert.equal(old.brokerCode, Code.BAD_REQUEST, 'a 0.x version string gets the pre-5.0.3 answer');
    } finally {
      await core.shutdown({ timeoutMs: 5000 });
    }
  });
});
