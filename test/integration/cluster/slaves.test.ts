/**
 * A REAL cluster with a slave: one master (`brokerId=0`) and its slave (`brokerId=1`,
 * `brokerRole=SLAVE`) behind a cluster-mode proxy. The route lists both; the producer's queue
 * selection keeps to the master's queues, and every message sent is stored by the master.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import type { MessageView } from '../../../src/model/message-view.js';
import { Producer } from '../../../src/producer/producer.js';
import { SendQueueSelector } from '../../../src/producer/queue-selector.js';
import { ClientCore } from '../../../src/protocol/client-core.js';
import type { JvmCluster } from '../../../testcontainers/index.js';
import { uniqueName } from '../../helpers/broker.js';
import { clusterOrReason } from '../../helpers/cluster.js';

describe('a cluster with a slave', () => {
  let cluster: JvmCluster | undefined;
  let skipReason = '';
  const closers: Array<() => Promise<unknown>> = [];

  before(async () => {
    const c = await clusterOrReason({ brokers: 1, proxies: 1, slaves: true });
    if (typeof c === 'string') skipReason = c;
    else cluster = c;
  });

  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await cluster?.stop();
  });

  test('the route lists the slave; the client never sends to it (brokerId ≠ 0)', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const topic = uniqueName('sl');
    const group = uniqueName('sl-g');
    await cluster.createTopic(topic, 'NORMAL', { queues: 4 });
    await cluster.createConsumerGroup(group);

    const core = new ClientCore({ clientType: 'producer', accessPoint: cluster.endpoint, topics: [topic] });
    closers.push(() => core.shutdown({ timeoutMs: 2000 }));
    await core.start({ timeoutMs: 30_000 });
    // The slave registers with the name server after it synced the topic from its master.
    let route = await core.getRoute(topic);
    const end = Date.now() + 60_000;
    while (!route.queues.some((q) => q.brokerId !== 0) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 500));
      route = await core.routes.refresh(topic);
    }
    const ids = [...new Set(route.queues.map((q) => q.brokerId))].sort();
    t.diagnostic(`route broker ids: ${ids}; queues: ${route.queues.length}`);
    assert.deepEqual(ids, [0, 1], 'the route lists the master and its slave');

    const selector = new SendQueueSelector();
    for (let i = 0; i < 1000; i++) {
      for (const q of selector.select(route, { count: 3 }))
        assert.equal(q.brokerId, 0, 'a slave queue was selected');
    }

    const p = new Producer({ endpoints: cluster.endpoint, topics: [topic] });
    closers.push(() => p.shutdown({ timeoutMs: 2000 }));
    await p.start({ timeoutMs: 30_000 });
    const sent = new Set<string>();
    for (let i = 0; i < 50; i++) sent.add((await p.send({ topic, body: `s${i}` })).messageId);

    const c = new SimpleConsumer({
      endpoints: cluster.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      awaitDurationMs: 5000,
    });
    closers.push(() => c.shutdown({ timeoutMs: 2000 }));
    await c.start({ timeoutMs: 30_000 });
    const got: MessageView[] = [];
    const until = Date.now() + 60_000;
    while (got.length < 50 && Date.now() < until) {
      for (const m of await c.receive(32, 20_000)) {
        got.push(m);
        await c.ack(m);
      }
    }
    assert.deepEqual(new Set(got.map((m) => m.messageId)), sent, 'every message once');
    const master = `127.0.0.1:${cluster.masters[0]!.ports[1]}`;
    assert.deepEqual([...new Set(got.map((m) => m.storeHost))], [master], 'stored by the master');
  });
});
