/**
 * Authentication against a REAL RocketMQ 5.x broker with ACL 2.0 on (reliability-matrix rows B1, B4; an
 * ACL broker of this file's own): no credentials, a wrong secret and an unknown access key are refused
 * with `UNAUTHORIZED` (40100) at start, quickly and without retries; the right key pair works end to
 * end; the secret never shows in the debug log, in error messages or in `inspect()` of errors and
 * clients.
 *
 * B2 (authorization on too): a second, normal user whose ACL 2.0 policy allows topic X (Pub, Sub) and
 * one consumer group only: its sends to topic Y are refused with UNAUTHORIZED (40100: the proxy maps
 * authorization failures to it), not retried, while the same producer keeps sending to X; its consumer
 * receives from X; a subscription to Y is refused with 40100 too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../../src/errors.js';
import type { Logger } from '../../../src/observability/logger.js';
import { Producer } from '../../../src/producer/index.js';
import { createCredentials } from '../../../src/rpc/auth/credentials.js';
import type { BrokerAdmin, BrokerHandle } from '../../../testcontainers/index.js';
import { ownBrokerSkipReason, startOwnBroker } from '../../helpers/own-broker.js';

const WRONG = `wrong-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

function capture(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const put = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${inspect(fields, { depth: 8 })}`);
  };
  return { lines, debug: put('debug'), info: put('info'), warn: put('warn'), error: put('error') };
}

async function failure(p: Promise<unknown>): Promise<RocketMQError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RocketMQError, String(e));
    return e;
  }
  assert.fail('expected a failure');
}

describe('real broker with ACL', () => {
  let broker: BrokerHandle | undefined;
  let skip: string | undefined;
  let topic = '';
  const closers: Array<() => Promise<unknown>> = [];

  before(async () => {
    skip = await ownBrokerSkipReason();
    if (skip) return;
    broker = await startOwnBroker({
      acl: true,
      // Authorization (ACL 2.0 policies) on the broker and on the proxy, which checks gRPC calls itself
      // and reads the policies from the embedded broker.
      brokerProperties: {
        authorizationEnabled: true,
        authorizationProvider: 'org.apache.rocketmq.auth.authorization.provider.DefaultAuthorizationProvider',
        authorizationMetadataProvider:
          'org.apache.rocketmq.auth.authorization.provider.LocalAuthorizationMetadataProvider',
      },
      proxyConfig: {
        authorizationEnabled: true,
        authorizationProvider: 'org.apache.rocketmq.auth.authorization.provider.DefaultAuthorizationProvider',
        authorizationMetadataProvider: 'org.apache.rocketmq.proxy.auth.ProxyAuthorizationMetadataProvider',
      },
    });
    topic = `acl_${Date.now().toString(36)}`;
    await broker.createTopic(topic, 'NORMAL');
  });

  after(async () => {
    for (const c of closers) await c().catch(() => {});
    await broker?.stop();
  });

  const producer = (
    credentials: ConstructorParameters<typeof Producer>[0]['credentials'],
    logger?: Logger,
  ) => {
    const p = new Producer({ endpoints: broker!.endpoint, topics: [topic], credentials, logger });
    closers.push(() => p.shutdown({ timeoutMs: 1_000 }));
    return p;
  };

  test('B1 no credentials, wrong secret, unknown user → UNAUTHORIZED at start, fast; B4 nothing secret printed', async (t) => {
    if (!broker) return t.skip(skip);
    const { accessKey, secretKey } = broker.acl!;
    const logger = capture();
    const cases = [
      ['no credentials', producer(undefined, logger)],
      ['wrong secret', producer(createCredentials(accessKey, WRONG), logger)],
      ['unknown access key', producer(createCredentials('nobody-here', secretKey), logger)],
    ] as const;
    const texts: string[] = [];
    for (const [what, p] of cases) {
      const started = performance.now();
      const e = await failure(p.start());
      const ms = performance.now() - started;
      t.diagnostic(`${what}: ${e.code} (${e.brokerCode}) "${e.message}" after ${ms.toFixed(0)} ms`);
      assert.equal(e.code, 'UNAUTHORIZED', `${what}: ${e.message}`);
      assert.equal(e.brokerCode, 40100);
      assert.ok(ms < 3_000, `${what}: refused after ${ms.toFixed(0)} ms`);
      texts.push(e.message, String(e.stack), inspect(e, { depth: 8, showHidden: true }), JSON.stringify(e));
      texts.push(inspect(p, { depth: 8, showHidden: true }));
      await p.shutdown();
    }
    const consumer = new SimpleConsumer({
      endpoints: broker.endpoint,
      consumerGroup: `acl_g_${Date.now().toString(36)}`,
      subscriptions: { [topic]: '*' },
      credentials: createCredentials(accessKey, WRONG),
      logger,
    });
    closers.push(() => consumer.shutdown({ timeoutMs: 1_000 }));
    const e = await failure(consumer.start());
    assert.equal(e.code, 'UNAUTHORIZED');
    texts.push(e.message, inspect(e, { depth: 8, showHidden: true }), inspect(consumer, { depth: 8 }));
    await consumer.shutdown();
    const everything = [...texts, ...logger.lines].join('\n');
    for (const secret of [WRONG, secretKey]) assert.ok(!everything.includes(secret), 'a secret was printed');
  });

  test('B4 the right key pair works end to end; the debug log holds no secret', async (t) => {
    if (!broker) return t.skip(skip);
    const { accessKey, secretKey } = broker.acl!;
    const logger = capture();
    const credentials = createCredentials(accessKey, secretKey);
    const p = producer(credentials, logger);
    const group = `acl_ok_${Date.now().toString(36)}`;
    await broker.createConsumerGroup(group);
    const c = new SimpleConsumer({
      endpoints: broker.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      credentials,
      logger,
      awaitDurationMs: 5_000,
    });
    closers.push(() => c.shutdown({ timeoutMs: 1_000 }));
    await Promise.all([p.start(), c.start()]);
    const receipt = await p.send({ topic, body: 'authenticated' });
    let got: string | undefined;
    for (let i = 0; i < 5 && got === undefined; i++) {
      for (const v of await c.receive(16, 10_000)) {
        if (v.messageId === receipt.messageId) got = v.body.toString();
        await c.ack(v);
      }
    }
    assert.equal(got, 'authenticated');
    await Promise.all([p.shutdown(), c.shutdown()]);
    assert.ok(
      logger.lines.some((l) => l.startsWith('debug')),
      'debug lines were captured',
    );
    assert.ok(!logger.lines.join('\n').includes(secretKey), 'the secret was logged');
    assert.ok(!inspect({ credentials }, { depth: 5, showHidden: true }).includes(secretKey));
  });

  test('B2 a user allowed on topic X only: sends to Y refused with UNAUTHORIZED 40100 (non-retriable, not retried), X keeps working on the same producer; Sub on Y refused 40100', async (t) => {
    if (!broker) return t.skip(skip);
    const admin = (broker as unknown as { brokerAdmin?: BrokerAdmin }).brokerAdmin;
    if (!admin) return t.skip(`the ${broker.source} broker has no remoting admin for users and ACLs`);
    const suffix = Date.now().toString(36);
    const allowed = `b2_x_${suffix}`;
    const denied = `b2_y_${suffix}`;
    const group = `b2_g_${suffix}`;
    await broker.createTopic(allowed, 'NORMAL');
    await broker.createTopic(denied, 'NORMAL');
    await broker.createConsumerGroup(group);
    const user = `b2user${suffix}`;
    const secret = `b2-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
    await admin.createUser(user, secret);
    await admin.createAcl(`User:${user}`, [
      { resource: `Topic:${allowed}`, actions: ['Pub', 'Sub'], decision: 'Allow' },
      { resource: `Group:${group}`, actions: ['Sub'], decision: 'Allow' },
    ]);
    const credentials = createCredentials(user, secret);
    const p = new Producer({ endpoints: broker.endpoint, topics: [allowed], credentials });
    closers.push(() => p.shutdown({ timeoutMs: 1_000 }));
    await p.start();
    const first = await p.send({ topic: allowed, body: 'x-1' });
    const started = performance.now();
    const e = await failure(p.send({ topic: denied, body: 'y-1' }));
    const ms = performance.now() - started;
    t.diagnostic(`send to the denied topic: ${e.code} (${e.brokerCode}) "${e.message}" after ${ms.toFixed(0)} ms`);
    // The proxy maps authorization failures to 40100, like authentication ones.
    assert.equal(e.code, 'UNAUTHORIZED', e.message);
    assert.equal(e.brokerCode, 40100);
    assert.equal(e.retriable, false);
    assert.ok(ms < 3_000, `refused after ${ms.toFixed(0)} ms (not retried)`);
    // The same producer keeps working on the allowed topic.
    const second = await p.send({ topic: allowed, body: 'x-2' });

    const c = new SimpleConsumer({
      endpoints: broker.endpoint,
      consumerGroup: group,
      subscriptions: { [allowed]: '*' },
      credentials,
      awaitDurationMs: 5_000,
    });
    closers.push(() => c.shutdown({ timeoutMs: 1_000 }));
    await c.start();
    const got = new Set<string>();
    for (let i = 0; i < 6 && got.size < 2; i++) {
      for (const v of await c.receive(16, 10_000)) {
        got.add(v.messageId);
        await c.ack(v);
      }
    }
    assert.deepEqual([...got].sort(), [first.messageId, second.messageId].sort());

    // No Sub on the denied topic: the consumer is refused typed (at start or at its first receive).
    const d = new SimpleConsumer({
      endpoints: broker.endpoint,
      consumerGroup: group,
      subscriptions: { [denied]: '*' },
      credentials,
      awaitDurationMs: 5_000,
    });
    closers.push(() => d.shutdown({ timeoutMs: 1_000 }));
    const sub = await failure(
      (async () => {
        await d.start();
        await d.receive(16, 10_000);
      })(),
    );
    t.diagnostic(`subscription to the denied topic: ${sub.code} (${sub.brokerCode}) "${sub.message}"`);
    assert.equal(sub.code, 'UNAUTHORIZED', sub.message);
    assert.equal(sub.brokerCode, 40100);
    assert.equal(sub.retriable, false);
  });
});
