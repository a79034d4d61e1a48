/**
 * Authentication against a REAL RocketMQ 5.x broker with ACL 2.0 on (reliability notes §6 B1, B4; an
 * ACL broker of this file's own): no credentials, a wrong secret and an unknown access key are refused
 * with `UNAUTHORIZED` (40100) at start, quickly and without retries; the right key pair works end to
 * end; the secret never shows in the debug log, in error messages or in `inspect()` of errors and
 * clients.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../../src/errors.js';
import type { Logger } from '../../../src/observability/logger.js';
import { Producer } from '../../../src/producer/index.js';
import { createCredentials } from '../../../src/rpc/auth/credentials.js';
import type { BrokerHandle } from '../../../testcontainers/index.js';
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
    broker = await startOwnBroker({ acl: true });
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
});
