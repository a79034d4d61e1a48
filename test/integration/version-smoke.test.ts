/**
 * Broker-version smoke: every message type, SimpleConsumer, PushConsumer, transactions and ACL against
 * ONE broker of the RocketMQ release named by `ROCKETMQ_TS_SMOKE_VERSION` (default: the harness's
 * default release), started by this file from the Maven jars. It also records what the release
 * lacks (priority topics, recall, lite topics) and asserts that against the matrix of
 * testcontainers/README.md, so a release that changes is noticed.
 *
 *   ROCKETMQ_TS_SMOKE_VERSION=5.5.0 node --import tsx --test test/integration/version-smoke.test.ts
 *
 * ACL 2.0 (users, `authenticationEnabled`) exists from 5.3.0; older releases run without ACL and
 * the ACL test is skipped for them with that reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SimpleConsumer } from '../../src/consumer/simple-consumer.js';
import { PushConsumer } from '../../src/consumer/push-consumer.js';
import { RocketMQError } from '../../src/errors.js';
import { LiteSubscriptionAction } from '../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { MessagingService } from '../../src/gen/apache/rocketmq/v2/service_pb.js';
import type { MessageView } from '../../src/model/message-view.js';
import { Producer } from '../../src/producer/producer.js';
import { ClientCore } from '../../src/protocol/client-core.js';
import { type BrokerHandle, describeBrokerSource, startBroker } from '../../testcontainers/index.js';
import { DEFAULT_ROCKETMQ_VERSION } from '../../testcontainers/jar-cache.js';
import { uniqueName } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait-for.js';

const VERSION = process.env.ROCKETMQ_TS_SMOKE_VERSION || DEFAULT_ROCKETMQ_VERSION;

function atLeast(version: string, min: string): boolean {
  const a = version.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/** What each release offers, as measured by this file (see the matrix in testcontainers/README.md). */
const EXPECTED = {
  priority: atLeast(VERSION, '5.4.0'),
  // Measured: 5.3.3 honours a recall handle, 5.2.0 does not (5.3.0–5.3.2 not measured).
  recall: atLeast(VERSION, '5.3.3'),
  lite: atLeast(VERSION, '5.5.0'),
};
const ACL = atLeast(VERSION, '5.3.0');
/** The server's LanguageCode has NODE_JS (our `x-mq-language`) from 5.3.2. */
const NODE_JS_KNOWN = atLeast(VERSION, '5.3.2');
const OLD_SERVER = `RocketMQ ${VERSION} does not know the NODE_JS client language (from 5.3.2): see the x-mq-language test`;

const text = (m: MessageView) => m.body.toString();

describe(`broker version smoke: RocketMQ ${VERSION}`, () => {
  let broker: BrokerHandle | undefined;
  let skipReason = '';
  let credentials: { accessKey: string; accessSecret: string } | undefined;
  const closers: Array<() => Promise<unknown>> = [];

  before(async () => {
    const source = await describeBrokerSource({ ignoreEnv: true });
    if (source.kind !== 'jvm') {
      if (process.env.CI === 'true') throw new Error(`CI=true requires the JVM broker: ${source.reason}`);
      skipReason = `the version smoke needs the local JVM path: ${source.reason}`;
      return;
    }
    process.env.ROCKETMQ_TS_BROKER_VERSION = VERSION;
    try {
      broker = await startBroker({ ignoreEnv: true, acl: ACL });
    } finally {
      delete process.env.ROCKETMQ_TS_BROKER_VERSION;
    }
    if (broker.acl) credentials = { accessKey: broker.acl.accessKey, accessSecret: broker.acl.secretKey };
  });

  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await broker?.stop();
  });

  const producer = async (topics: string[], extra: Record<string, unknown> = {}) => {
    const p = new Producer({
      endpoints: broker!.endpoint,
      topics,
      ...(credentials ? { credentials } : {}),
      ...extra,
    });
    closers.push(() => p.shutdown({ timeoutMs: 2000 }));
    await p.start({ timeoutMs: 30_000 });
    return p;
  };
  const simpleConsumer = async (topic: string, group: string) => {
    const c = new SimpleConsumer({
      endpoints: broker!.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      awaitDurationMs: 5000,
      ...(credentials ? { credentials } : {}),
    });
    closers.push(() => c.shutdown({ timeoutMs: 2000 }));
    await c.start({ timeoutMs: 30_000 });
    return c;
  };
  /** Receives and acks until `n` messages came or `ms` passed. */
  const receiveN = async (c: SimpleConsumer, n: number, ms: number) => {
    const got: MessageView[] = [];
    const end = Date.now() + ms;
    while (got.length < n && Date.now() < end) {
      for (const m of await c.receive(16, 15_000)) {
        got.push(m);
        await c.ack(m);
      }
    }
    return got;
  };

  test(`x-mq-language NODE_JS ${NODE_JS_KNOWN ? 'accepted' : 'refused (the server knows it from 5.3.2)'}; HTTP accepted`, async (t) => {
    if (!broker) return t.skip(skipReason);
    const topic = uniqueName('slang');
    await broker.createTopic(topic, 'NORMAL');
    // A pending start holds no timer of its own: keep the loop alive while it is awaited.
    const keepAlive = setInterval(() => undefined, 1000);
    try {
      const outcome = async (language?: 'HTTP') => {
        const p = new Producer({
          endpoints: broker!.endpoint,
          topics: [topic],
          ...(credentials ? { credentials } : {}),
          ...(language ? { core: { language } } : {}),
        });
        closers.push(() => p.shutdown({ timeoutMs: 2000 }));
        try {
          await p.start({ timeoutMs: 30_000 });
          await p.send({ topic, body: 'x' });
          return 'ok';
        } catch (e) {
          return (e as Error).message;
        }
      };
      const byDefault = await outcome();
      t.diagnostic(`default language: ${byDefault.split('\n')[0]}`);
      assert.equal(await outcome('HTTP'), 'ok', 'x-mq-language HTTP works on every release');
      if (NODE_JS_KNOWN) assert.equal(byDefault, 'ok');
      else assert.match(byDefault, /LanguageCode\.NODE_JS/);
    } finally {
      clearInterval(keepAlive);
    }
  });

  test('NORMAL with SimpleConsumer: sent, received, acked', async (t) => {
    if (!broker) return t.skip(skipReason);
    if (!NODE_JS_KNOWN) return t.skip(OLD_SERVER);
    const topic = uniqueName('sn');
    const group = uniqueName('sn-g');
    await broker.createTopic(topic, 'NORMAL');
    await broker.createConsumerGroup(group);
    const p = await producer([topic]);
    const c = await simpleConsumer(topic, group);
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await p.send({ topic, body: `n${i}`, tag: 'T' })).messageId);
    const got = await receiveN(c, 5, 30_000);
    assert.deepEqual(new Set(got.map((m) => m.messageId)), ids);
  });

  test('FIFO: one message group keeps its order', async (t) => {
    if (!broker) return t.skip(skipReason);
    if (!NODE_JS_KNOWN) return t.skip(OLD_SERVER);
    const topic = uniqueName('sf');
    const group = uniqueName('sf-g');
    await broker.createTopic(topic, 'FIFO');
    await broker.createConsumerGroup(group, { fifo: true });
    const p = await producer([topic]);
    for (let i = 0; i < 6; i++) await p.send({ topic, body: `f${i}`, messageGroup: 'g1' });
    const c = await simpleConsumer(topic, group);
    const got = await receiveN(c, 6, 40_000);
    assert.deepEqual(got.map(text), ['f0', 'f1', 'f2', 'f3', 'f4', 'f5']);
  });

  test('DELAY: not delivered before its time', async (t) => {
    if (!broker) return t.skip(skipReason);
    if (!NODE_JS_KNOWN) return t.skip(OLD_SERVER);
    const topic = uniqueName('sd');
    const group = uniqueName('sd-g');
    await broker.createTopic(topic, 'DELAY');
    await broker.createConsumerGroup(group);
    const p = await producer([topic]);
    const c = await simpleConsumer(topic, group);
    const sentAt = Date.now();
    await p.send({ topic, body: 'late', delayMs: 3000 });
    const got = await receiveN(c, 1, 30_000);
    assert.deepEqual(got.map(text), ['late']);
    assert.ok(Date.now() - sentAt >= 2500, `delivered after ${Date.now() - sentAt} ms, before its delay`);
  });

  test('TRANSACTION: committed delivered, rolled back never', async (t) => {
    if (!broker) return t.skip(skipReason);
    if (!NODE_JS_KNOWN) return t.skip(OLD_SERVER);
    const topic = uniqueName('st');
    const group = uniqueName('st-g');
    await broker.createTopic(topic, 'TRANSACTION');
    await broker.createConsumerGroup(group);
    const p = await producer([topic], { transactionChecker: () => 'ROLLBACK' });
    const c = await simpleConsumer(topic, group);
    const rolled = p.beginTransaction();
    await rolled.send({ topic, body: 'rolled-back' });
    await rolled.rollback();
    const committed = p.beginTransaction();
    await committed.send({ topic, body: 'committed' });
    await committed.commit();
    const got = await receiveN(c, 2, 10_000);
    assert.deepEqual(got.map(text), ['committed']);
  });

  test('PushConsumer: every message handled', async (t) => {
    if (!broker) return t.skip(skipReason);
    if (!NODE_JS_KNOWN) return t.skip(OLD_SERVER);
    const topic = uniqueName('sp');
    const group = uniqueName('sp-g');
    await broker.createTopic(topic, 'NORMAL');
    await broker.createConsumerGroup(group);
    const p = await producer([topic]);
    const seen = new Set<string>();
    const w = waitFor(() => seen.size >= 10, 40_000, '10 messages pushed');
    const c = new PushConsumer({
      endpoints: broker.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      listener: (m) => {
        seen.add(m.messageId);
        w.poke();
      },
      ...(credentials ? { credentials } : {}),
    });
    closers.push(() => c.shutdown({ timeoutMs: 2000 }));
    await c.start({ timeoutMs: 30_000 });
    const ids = new Set<string>();
    for (let i = 0; i < 10; i++) ids.add((await p.send({ topic, body: `p${i}` })).messageId);
    await w.done;
    assert.deepEqual(seen, ids);
  });

  test('ACL: a wrong secret is refused with UNAUTHORIZED', async (t) => {
    if (!broker) return t.skip(skipReason);
    if (!NODE_JS_KNOWN) return t.skip(OLD_SERVER);
    if (!ACL) return t.skip(`RocketMQ ${VERSION} has no ACL 2.0 (from 5.3.0); ACL 1.0 is not covered`);
    const topic = uniqueName('sa');
    await broker.createTopic(topic, 'NORMAL');
    const p = new Producer({
      endpoints: broker.endpoint,
      topics: [topic],
      credentials: { accessKey: credentials!.accessKey, accessSecret: 'wrong-secret' },
    });
    await assert.rejects(p.start({ timeoutMs: 15_000 }), (e: unknown) => {
      return e instanceof RocketMQError && e.code === 'UNAUTHORIZED';
    });
    await p.shutdown({ timeoutMs: 2000 }).catch(() => undefined);
  });

  test(`features of ${VERSION}: priority ${EXPECTED.priority}, recall ${EXPECTED.recall}, lite topics ${EXPECTED.lite}`, async (t) => {
    if (!broker) return t.skip(skipReason);
    if (!NODE_JS_KNOWN) return t.skip(OLD_SERVER);
    // Priority: a PRIORITY topic is routable with that type, and a message with a priority is accepted.
    let priority: boolean;
    try {
      const topic = uniqueName('sprio');
      await broker.createTopic(topic, 'PRIORITY');
      const p = await producer([topic]);
      await p.send({ topic, body: 'x', priority: 1 });
      priority = true;
    } catch (e) {
      t.diagnostic(`priority: ${(e as Error).message.split('\n')[0]}`);
      priority = false;
    }
    // Recall: a delay message's recall handle is honoured.
    let recall: boolean;
    {
      const topic = uniqueName('srec');
      await broker.createTopic(topic, 'DELAY');
      const p = await producer([topic]);
      const r = await p.send({ topic, body: 'r', delayMs: 60_000 });
      try {
        recall =
          r.recallHandle !== undefined && (await p.recallMessage(topic, r.recallHandle)) === r.messageId;
      } catch (e) {
        t.diagnostic(`recall: ${(e as Error).message.split('\n')[0]}`);
        recall = false;
      }
    }
    // Lite topics: the proxy implements SyncLiteSubscription (an older one answers UNIMPLEMENTED).
    let lite: boolean;
    {
      const topic = uniqueName('slite');
      await broker.createTopic(topic, 'NORMAL');
      const core = new ClientCore({
        clientType: 'producer',
        accessPoint: broker.endpoint,
        topics: [topic],
        ...(credentials ? { credentials } : {}),
      });
      closers.push(() => core.shutdown({ timeoutMs: 2000 }));
      await core.start({ timeoutMs: 30_000 });
      try {
        await core.rpc.unary(core.accessPoint, MessagingService.method.syncLiteSubscription, {
          action: LiteSubscriptionAction.PARTIAL_ADD,
          topic: { name: topic },
          group: { name: uniqueName('slite-g') },
          liteTopicSet: ['l1'],
        });
        lite = true;
      } catch (e) {
        const unimplemented =
          e instanceof RocketMQError && /UNIMPLEMENTED|unimplemented/i.test(`${e.code} ${e.message}`);
        t.diagnostic(
          `lite: ${e instanceof RocketMQError ? e.code : ''} ${(e as Error).message.split('\n')[0]}`,
        );
        // Any in-band refusal (a normal group, a normal topic) still means the call exists.
        lite = !unimplemented;
      }
    }
    t.diagnostic(`RocketMQ ${VERSION}: priority=${priority} recall=${recall} lite=${lite}`);
    assert.deepEqual({ priority, recall, lite }, EXPECTED);
  });
});
