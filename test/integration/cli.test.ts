/**
 * The `rocketmq-ts` CLI against a REAL RocketMQ 5.x proxy: send → consume round trip (acknowledged),
 * route of a harness-created topic, a short bench, and TOPIC_NOT_FOUND's exit code. The executable is
 * spawned with the broker's endpoint in ROCKETMQ_ENDPOINT.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BrokerHandle } from '../../testcontainers/index.js';
import { releaseSharedBroker, sharedBroker, uniqueName } from '../helpers/broker.js';
import { cli, show } from '../helpers/cli-process.js';

describe('rocketmq-ts CLI against a real RocketMQ 5.x proxy', () => {
  let broker: BrokerHandle | undefined;
  let skipReason = '';
  let topic = '';
  let group = '';
  let env: Record<string, string> = {};

  before(async () => {
    const b = await sharedBroker();
    if (typeof b === 'string') {
      skipReason = `no RocketMQ broker available: ${b}`;
      return;
    }
    broker = b;
    topic = uniqueName('cli');
    group = uniqueName('cli-g');
    await b.createTopic(topic, 'NORMAL');
    await b.createConsumerGroup(group);
    env = { ROCKETMQ_ENDPOINT: b.endpoint };
  });

  after(() => releaseSharedBroker());

  test('send two messages, then consume --count 2 receives and acknowledges exactly them', async (t) => {
    if (!broker) return t.skip(skipReason);
    const sent = await cli(['send', topic, 'real broker', '--tag', 'it', '--count', '2', '--json'], { env });
    assert.equal(sent.code, 0, show(sent));
    const ids = sent.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { messageId: string }).messageId)
      .sort();
    assert.equal(ids.length, 2);
    const got = await cli(
      ['consume', topic, '-g', group, '-n', '2', '--tag', 'it', '--json', '--wait', '60s'],
      {
        env,
      },
    );
    assert.equal(got.code, 0, show(got));
    const messages = got.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { messageId: string; body: string; tag: string });
    assert.deepEqual(messages.map((m) => m.messageId).sort(), ids);
    assert.ok(messages.every((m) => m.body === 'real broker' && m.tag === 'it'));
    assert.match(got.stderr, /received 2 messages, 2 acknowledged/);
  });

  test('route lists the topic queues with their permission and endpoint', async (t) => {
    if (!broker) return t.skip(skipReason);
    const r = await cli(['route', topic, '--json'], { env });
    assert.equal(r.code, 0, show(r));
    const route = JSON.parse(r.stdout) as {
      topic: string;
      queues: Array<{ permission: string; endpoints: string[]; acceptMessageTypes: string[] }>;
    };
    assert.equal(route.topic, topic);
    assert.ok(route.queues.length > 0);
    assert.ok(route.queues.every((q) => q.permission === 'read-write' && q.endpoints.length > 0));
    assert.ok(route.queues.every((q) => q.acceptMessageTypes.includes('NORMAL')));
    const table = await cli(['route', topic], { env });
    assert.equal(table.code, 0, show(table));
    assert.match(
      table.stdout,
      new RegExp(`^topic ${topic}: ${route.queues.length} queues on \\d+ brokers?\\n`),
    );
  });

  test('bench sends 100 messages without failures', async (t) => {
    if (!broker) return t.skip(skipReason);
    const r = await cli(['bench', topic, '-n', '100', '-c', '4', '-s', '128', '--json'], { env });
    assert.equal(r.code, 0, show(r));
    const summary = JSON.parse(r.stdout) as { succeeded: number; failed: number };
    assert.deepEqual([summary.succeeded, summary.failed], [100, 0]);
  });

  test('a topic that does not exist exits 5 with a hint', async (t) => {
    if (!broker) return t.skip(skipReason);
    const r = await cli(['send', uniqueName('cli-missing'), 'x'], { env });
    assert.equal(r.code, 5, show(r));
    assert.match(r.stderr, /\(TOPIC_NOT_FOUND\)\nhint: topic "cli-missing-[^"]+" does not exist/);
  });
});
