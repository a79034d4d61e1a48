/**
 * The client on a REAL RocketMQ cluster started by this file from the Maven jars: a name server, two
 * broker masters and two proxies in cluster mode, reached through the access point
 * `127.0.0.1:P1;127.0.0.1:P2`. One cluster serves every test of the file; the proxy-kill test runs
 * last because it leaves one proxy dead.
 *
 * - the route holds both brokers, sends spread over both, a message group stays on one queue and is
 *   consumed in order, nothing lost;
 * - 20 clients spread over both proxies (each client orders the access point at random);
 * - SIGKILL of the proxy a producer uses: sends resume through the other proxy within 15 s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import type { MessageView } from '../../../src/model/message-view.js';
import { Producer } from '../../../src/producer/producer.js';
import { ClientCore } from '../../../src/protocol/client-core.js';
import type { JvmCluster } from '../../../testcontainers/index.js';
import { uniqueName } from '../../helpers/broker.js';
import { clusterOrReason, connectionsTo, portOf } from '../../helpers/cluster.js';

const FAILOVER_BOUND_MS = 15_000;

describe('a cluster: two masters behind two cluster-mode proxies', () => {
  let cluster: JvmCluster | undefined;
  let skipReason = '';
  const closers: Array<() => Promise<unknown>> = [];

  before(async () => {
    const c = await clusterOrReason({ brokers: 2, proxies: 2 });
    if (typeof c === 'string') skipReason = c;
    else cluster = c;
  });

  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await cluster?.stop();
  });

  const producer = async (topics: string[]) => {
    const p = new Producer({ endpoints: cluster!.endpoint, topics });
    closers.push(() => p.shutdown({ timeoutMs: 2000 }));
    await p.start({ timeoutMs: 30_000 });
    return p;
  };

  test('the route holds both brokers; sends spread over both; a message group stays on one queue, in order', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const normal = uniqueName('cn');
    const fifo = uniqueName('cf');
    const group = uniqueName('cf-g');
    await cluster.createTopic(normal, 'NORMAL', { queues: 4 });
    await cluster.createTopic(fifo, 'FIFO', { queues: 4 });
    await cluster.createConsumerGroup(group, { fifo: true });

    const core = new ClientCore({ clientType: 'producer', accessPoint: cluster.endpoint, topics: [normal] });
    closers.push(() => core.shutdown({ timeoutMs: 2000 }));
    await core.start({ timeoutMs: 30_000 });
    const route = await core.getRoute(normal);
    assert.deepEqual([...new Set(route.queues.map((q) => q.brokerName))].sort(), ['broker-a', 'broker-b']);
    for (const q of route.queues) {
      // Cluster mode: every queue carries the access point's addresses, with the ports we dialled.
      assert.deepEqual(
        q.endpoints.addresses.map((a) => `${a.host}:${a.port}`).sort(),
        [...cluster.proxyEndpoints].sort(),
      );
    }

    const p = await producer([normal, fifo]);
    const perBroker = new Map<string, number>();
    for (let i = 0; i < 100; i++) {
      const r = await p.send({ topic: normal, body: `n${i}` });
      perBroker.set(r.queue.brokerName, (perBroker.get(r.queue.brokerName) ?? 0) + 1);
    }
    t.diagnostic(`100 sends per broker: ${JSON.stringify([...perBroker])}`);
    assert.deepEqual([...perBroker.keys()].sort(), ['broker-a', 'broker-b']);
    for (const n of perBroker.values()) assert.ok(n >= 20, `both brokers take a share: ${[...perBroker]}`);

    const queues = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await p.send({ topic: fifo, body: `g${i}`, messageGroup: 'order-1' });
      queues.add(`${r.queue.brokerName}/${r.queue.queueId}`);
    }
    assert.equal(queues.size, 1, `one message group, one queue: ${[...queues]}`);

    const c = new SimpleConsumer({
      endpoints: cluster.endpoint,
      consumerGroup: group,
      subscriptions: { [fifo]: '*' },
      awaitDurationMs: 5000,
    });
    closers.push(() => c.shutdown({ timeoutMs: 2000 }));
    await c.start({ timeoutMs: 30_000 });
    const got: MessageView[] = [];
    const end = Date.now() + 60_000;
    while (got.length < 20 && Date.now() < end) {
      for (const m of await c.receive(32, 20_000)) {
        got.push(m);
        await c.ack(m);
      }
    }
    assert.deepEqual(
      got.map((m) => m.body.toString()),
      Array.from({ length: 20 }, (_, i) => `g${i}`),
      'every message of the group, once, in order',
    );
  });

  test('20 clients on two proxies: both proxies get connections, none gets all 20', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const topic = uniqueName('cs');
    await cluster.createTopic(topic, 'NORMAL', { queues: 2 });
    const ports = cluster.proxyEndpoints.map(portOf);
    const before = connectionsTo(ports);
    const clients = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const p = new Producer({ endpoints: cluster!.endpoint, topics: [topic] });
        await p.start({ timeoutMs: 30_000 });
        return p;
      }),
    );
    try {
      const now = connectionsTo(ports);
      const added = ports.map((port) => now.get(port)! - before.get(port)!);
      t.diagnostic(`connections per proxy: ${ports.map((p, i) => `${p}=${added[i]}`).join(' ')}`);
      assert.equal(added[0]! + added[1]!, 20, 'one connection per client');
      for (const n of added) assert.ok(n > 0 && n < 20, `spread over both proxies: ${added}`);
    } finally {
      await Promise.all(clients.map((p) => p.shutdown({ timeoutMs: 2000 })));
    }
  });

  test(`SIGKILL of the proxy a producer uses: sends resume through the other within ${FAILOVER_BOUND_MS / 1000} s`, async (t) => {
    if (!cluster) return t.skip(skipReason);
    const topic = uniqueName('ck');
    await cluster.createTopic(topic, 'NORMAL', { queues: 2 });
    const ports = cluster.proxyEndpoints.map(portOf);
    const before = connectionsTo(ports);
    const p = await producer([topic]);
    const after = connectionsTo(ports);
    const used = ports.findIndex((port) => after.get(port)! > before.get(port)!);
    assert.ok(used >= 0, 'the producer is connected to one proxy');
    await p.send({ topic, body: 'before' });

    let failures = 0;
    let sent = 0;
    let killedAt = 0;
    let resumedAt = 0;
    const loop = (async () => {
      while (!resumedAt) {
        const startedAt = Date.now();
        try {
          await p.send({ topic, body: `m${sent}` }, { timeoutMs: 3000 });
          sent++;
          // Only a send begun after the kill proves the traffic moved to the other proxy.
          if (killedAt && startedAt > killedAt) resumedAt = Date.now();
        } catch {
          failures++;
        }
        if (Date.now() - (killedAt || Date.now()) > FAILOVER_BOUND_MS + 10_000) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    while (sent < 5) await new Promise((r) => setTimeout(r, 20));
    killedAt = Date.now();
    await cluster.proxies[used]!.kill();
    await loop;
    assert.ok(resumedAt > 0, 'sends resumed');
    const gap = resumedAt - killedAt;
    t.diagnostic(`first send after the kill: ${gap} ms; failed sends meanwhile: ${failures}`);
    assert.ok(gap <= FAILOVER_BOUND_MS, `sends resumed after ${gap} ms`);
    const now = connectionsTo(ports);
    assert.ok(now.get(ports[1 - used]!)! > 0, 'now connected to the other proxy');
  });
});
